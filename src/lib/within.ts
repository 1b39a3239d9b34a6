/**
 * What `p` gives if it settles within `ms`, else undefined (`p` goes on; its later answer is
 * dropped). A rejection within the time rejects. The timer is cleared either way, so nothing is
 * left to hold the process open.
 */
export async function within<T>(p: Promise<T>, ms: number): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(resolve, ms, undefined)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
