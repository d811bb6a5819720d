// A demo job that fails: it writes to stderr and exits 1, so its execution ends `failed`.
console.error(`FailingJob: cannot process ${process.env.BARBEQUE_MESSAGE}`);
process.exit(1);
