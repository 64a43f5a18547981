/**
 * Split streaming Markdown into blocks that can be rendered one by one while the text
 * grows: a block ends at a blank line outside a code fence. Each boundary depends only
 * on the text before it, so a block, once followed by another, never changes; only the
 * last block is rendered again as deltas arrive.
 */
export function markdownBlocks(text: string): string[] {
  const blocks: string[] = [];
  let fence: string | null = null;
  let start = 0;
  let lineStart = 0;
  while (lineStart < text.length) {
    const newline = text.indexOf('\n', lineStart);
    if (newline < 0) {
      break; // the last line is still being written
    }
    const line = text.slice(lineStart, newline);
    const marker = /^\s{0,3}(`{3,}|~{3,})/.exec(line);
    if (marker) {
      const kind = marker[1];
      if (fence === null) {
        fence = kind;
      } else if (kind[0] === fence[0] && kind.length >= fence.length && line.trim() === kind) {
        fence = null;
      }
    } else if (fence === null && line.trim() === '' && newline + 1 - start > 1) {
      const block = text.slice(start, newline + 1);
      if (block.trim()) {
        blocks.push(block);
        start = newline + 1;
      }
    }
    lineStart = newline + 1;
  }
  if (start < text.length) {
    blocks.push(text.slice(start));
  }
  return blocks;
}
