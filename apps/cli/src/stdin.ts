/**
 * Reads all of stdin. Asynchronously on purpose: `readFileSync(0)` fails with EAGAIN when stdin is
 * a non-blocking pipe (as when another program starts the CLI).
 */
export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}
