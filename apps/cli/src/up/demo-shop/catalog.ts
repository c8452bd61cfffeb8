// The demo shop's catalog: products are made from their number, so any n has a page; search and
// the home page read the first CATALOG_SIZE of them.

const NAMES = [
  'Lamp',
  'Kettle',
  'Backpack',
  'Notebook',
  'Headphones',
  'Mug',
  'Chair',
  'Clock',
  'Scarf',
  'Plant',
];

export const CATALOG_SIZE = 60;
export const PAGE_SIZE = 5;
export const SIZES = { s: 'Small', m: 'Medium', l: 'Large' } as const;
export type Size = keyof typeof SIZES;
export const SHIPPING = { standard: 0, express: 9.9 } as const;
export type Shipping = keyof typeof SHIPPING;

export const euros = (value: number) => `€${value.toFixed(2)}`;

export function priceOf(n: number): number {
  return 9.5 + ((n * 37) % 190);
}

export function product(n: number): { name: string; price: string } {
  return { name: `${NAMES[n % NAMES.length]} No. ${n}`, price: euros(priceOf(n)) };
}

/** One page of the product numbers whose name contains q (case-insensitive); page is clamped. */
export function search(q: string, requested: number): { hits: number[]; page: number; pages: number } {
  const needle = q.toLowerCase();
  const all = Array.from({ length: CATALOG_SIZE }, (_, i) => i + 1).filter((n) =>
    product(n).name.toLowerCase().includes(needle),
  );
  const pages = Math.max(1, Math.ceil(all.length / PAGE_SIZE));
  const page = Math.min(Math.max(1, requested), pages);
  return { hits: all.slice((page - 1) * PAGE_SIZE, page * PAGE_SIZE), page, pages };
}

const REVIEWERS = ['Ana', 'Bo', 'Chen', 'Dara', 'Eli'];
const REMARKS = [
  'Does what it says.',
  'Arrived quickly.',
  'Nice colour.',
  'A bit small.',
  'Would buy again.',
];

/** A product's reviews (2 to 4) and its rating "3.0".."5.0", fixed by n. */
export function reviews(n: number): { rating: string; items: { by: string; text: string }[] } {
  const count = 2 + (n % 3);
  const items = Array.from({ length: count }, (_, i) => ({
    by: REVIEWERS[(n + i) % REVIEWERS.length]!,
    text: REMARKS[(n * 3 + i) % REMARKS.length]!,
  }));
  return { rating: (3 + ((n * 7) % 21) / 10).toFixed(1), items };
}
