/**
 * Keyboard focus among the review cards of one chat (DOM order is the chat's order):
 * `j`/`k` move between cards, and after a decision the next waiting card takes the focus.
 */

const CARD = '.jp-CodeAgent-card';
const WAITING = '.jp-CodeAgent-card.jp-mod-pending';

/**
 * The user is writing somewhere (text in a box, a code editor): focus must not jump.
 * An empty message box (just sent from) does not count.
 */
export function isTyping(): boolean {
  const active = document.activeElement as HTMLElement | null;
  if (!active) {
    return false;
  }
  if (active instanceof HTMLTextAreaElement || active instanceof HTMLInputElement) {
    return active.value.trim() !== '';
  }
  return active.tagName === 'SELECT' || active.isContentEditable;
}

export function focusCardNode(card: HTMLElement | null): boolean {
  if (!card) {
    return false;
  }
  card.focus({ preventScroll: true });
  card.scrollIntoView({ block: 'nearest' });
  return document.activeElement === card;
}

/** The oldest waiting card, or the first after `after` (skipping cards being decided). */
export function waitingCard(root: HTMLElement, except?: string): HTMLElement | null {
  const cards = Array.from(root.querySelectorAll<HTMLElement>(WAITING));
  return cards.find(card => card.dataset.cellId !== except) ?? null;
}

/** The card `step` cards away from the one holding the focus (or the last / first). */
export function neighbourCard(root: HTMLElement, step: 1 | -1): HTMLElement | null {
  const cards = Array.from(root.querySelectorAll<HTMLElement>(CARD));
  if (cards.length === 0) {
    return null;
  }
  const current = cards.findIndex(card => card === document.activeElement || card.contains(document.activeElement));
  if (current < 0) {
    return step === 1 ? cards[0] : cards[cards.length - 1];
  }
  return cards[Math.min(cards.length - 1, Math.max(0, current + step))];
}
