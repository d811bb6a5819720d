// A demo job. Grill runs it as Barbeque would: the message arrives as JSON
// text in BARBEQUE_MESSAGE, beside the other BARBEQUE_* variables.
const message = JSON.parse(process.env.BARBEQUE_MESSAGE ?? 'null');
console.log(`NotifyAuthor: notifying the author of recipe ${message?.recipe_id}`);
console.log(`message_id=${process.env.BARBEQUE_MESSAGE_ID} retry_count=${process.env.BARBEQUE_RETRY_COUNT}`);
