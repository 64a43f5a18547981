/**
 * Split streaming text into stable blocks, so that each new delta re-lays out only the
 * last block instead of the whole reply (layout of one ever-growing text node costs
 * O(length) per frame).
 *
 * A block ends at the first newline after `soft` characters, or, in a line longer than
 * `hard`, at the first space after `hard`. Each boundary depends only on the text
 * before it, so earlier blocks never change as the text grows.
 */
export function streamSegments(text: string, soft = 1500, hard = 4000): string[] {
  const segments: string[] = [];
  let start = 0;
  while (text.length - start > soft) {
    let end = text.indexOf('\n', start + soft);
    if (end < 0 || end > start + hard) {
      if (text.length - start <= hard) {
        break; // the long line may still end with a newline before `hard`
      }
      end = text.indexOf(' ', start + hard);
      if (end < 0) {
        break;
      }
    }
    segments.push(text.slice(start, end + 1));
    start = end + 1;
  }
  segments.push(text.slice(start));
  return segments;
}
