// Example: the quick-start app, a dependency-free Fetch-style app in TypeScript. Runs in each corral worker process.
//
// Run it with four workers (no build step; corral loads TypeScript as it is):
//   npx corral examples/hello/app.ts -w 4
// then:
//   curl http://127.0.0.1:8000/
//   curl http://127.0.0.1:8000/hello/corral
//   curl -X POST -d '{"n": 2}' http://127.0.0.1:8000/double

interface DoubleRequest {
  n: number;
}

async function double(request: Request): Promise<Response> {
  const body = (await request.json().catch(() => null)) as DoubleRequest | null;
  if (typeof body?.n !== 'number') return Response.json({ error: 'send JSON like {"n": 2}' }, { status: 400 });
  return Response.json({ n: body.n, doubled: body.n * 2 });
}

export default {
  async fetch(request: Request): Promise<Response> {
    const { pathname } = new URL(request.url);
    if (request.method === 'GET' && pathname === '/') {
      return new Response(`Hello from corral worker ${process.pid}!\n`);
    }
    const hello = /^\/hello\/([^/]+)$/.exec(pathname);
    if (request.method === 'GET' && hello) {
      return new Response(`Hello, ${decodeURIComponent(hello[1]!)}!\n`);
    }
    if (request.method === 'POST' && pathname === '/double') return double(request);
    return new Response('Not found\n', { status: 404 });
  },
};
