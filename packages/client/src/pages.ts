/** A page of a listing: its rows and the cursor of the next page (null: the last page). */
export interface Page<T> {
  rows: T[];
  nextCursor: string | null;
}

/**
 * Every row of a cursor-paged listing, one page fetched at a time as the caller consumes them
 * (so `break` stops fetching). `fetchPage` gets the cursor (undefined for the first page).
 */
export async function* paged<T>(
  fetchPage: (cursor: string | undefined) => Promise<Page<T>>,
): AsyncGenerator<T> {
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    yield* page.rows;
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
}
