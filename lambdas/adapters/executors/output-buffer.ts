/**
 * Keeps the last `capBytes` of a stream. A job's output is stored on its
 * execution item (DynamoDB items are at most 400 KB), and the end of the
 * output, where errors are, is the part worth keeping.
 */
export class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  private dropped = 0;

  constructor(private readonly capBytes: number) {}

  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.capBytes) {
      const first = this.chunks[0] as Buffer;
      const excess = this.size - this.capBytes;
      if (first.length <= excess) {
        this.chunks.shift();
        this.size -= first.length;
        this.dropped += first.length;
      } else {
        this.chunks[0] = first.subarray(excess);
        this.size -= excess;
        this.dropped += excess;
      }
    }
  }

  /** The kept text, marked at the start when earlier output was dropped. */
  text(): string {
    let kept = Buffer.concat(this.chunks);
    if (this.dropped > 0) {
      // The cut may have split a UTF-8 sequence: start at the next character, not inside one.
      let start = 0;
      while (start < kept.length && start < 3 && ((kept[start] as number) & 0xc0) === 0x80) start++;
      kept = kept.subarray(start);
    }
    const body = kept.toString('utf8');
    return this.dropped > 0 ? `[grill] output truncated: the first ${this.dropped} bytes were dropped\n${body}` : body;
  }
}
