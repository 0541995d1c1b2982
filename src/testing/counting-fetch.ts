/**
 * A fetch for weight-store tests (Node and the browser test worker) that records, per request, the
 * Range asked for and how many body bytes reached the reader (bytes still in flight when a connection
 * breaks never do). A resumed request must start exactly where the delivered bytes end.
 */
export interface FetchEntry {
  url: string;
  method: string;
  range: string | null;
  /** 0: no response (the request failed). */
  status: number;
  delivered: number;
}

export function countingFetch(log: FetchEntry[]): (input: string, init?: RequestInit) => Promise<Response> {
  return async (input, init) => {
    const method = init?.method ?? 'GET';
    const entry: FetchEntry = { url: input, method, range: (init?.headers as Record<string, string> | undefined)?.Range ?? null, status: 0, delivered: 0 };
    log.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    if (!response.body || method === 'HEAD') return response;
    const reader = response.body.getReader();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          const { done, value } = await reader.read();
          if (done) return controller.close();
          entry.delivered += value.length;
          controller.enqueue(value);
        },
        cancel: (reason) => reader.cancel(reason),
      },
      { highWaterMark: 0 }, // hand each piece straight to a waiting read: counted = delivered
    );
    return new Response(body, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
