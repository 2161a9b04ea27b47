// A static file server for the built site: enough HTTP to browse it (GET and HEAD, content
// types, the site's own 404 page), nothing outside its directory.
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, relative, resolve, sep } from "node:path";

const contentTypes: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  // Source files the pages link to are shown as text rather than downloaded.
  ".c": "text/plain; charset=utf-8",
  ".h": "text/plain; charset=utf-8",
  ".ts": "text/plain; charset=utf-8",
  ".md": "text/plain; charset=utf-8",
  ".txt": "text/plain; charset=utf-8",
};

export function contentTypeOf(path: string): string {
  return contentTypes[extname(path).toLowerCase()] ?? "application/octet-stream";
}

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** The file a URL path names inside `root`, or undefined for none (or an escape attempt). */
function fileFor(root: string, urlPath: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(urlPath);
  } catch {
    return undefined;
  }
  if (path.endsWith("/")) path += "index.html";
  const file = resolve(root, "." + path);
  const inside = relative(root, file);
  if (inside.startsWith("..") || inside.split(sep).includes("..")) return undefined;
  return existsSync(file) && statSync(file).isFile() ? file : undefined;
}

function send(res: ServerResponse, status: number, file: string, head: boolean): void {
  res.writeHead(status, { "Content-Type": contentTypeOf(file), "Content-Length": statSync(file).size, "Cache-Control": "no-cache" });
  if (head) res.end();
  else createReadStream(file).pipe(res);
}

/** Serves `dir` on host:port (port 0 picks a free one); resolves once it listens. */
export function serveDirectory(dir: string, options: { port?: number; host?: string } = {}): Promise<StaticServer> {
  const root = resolve(dir);
  const notFound = join(root, "404.html");
  const server = createServer((req, res) => {
    const method = req.method ?? "GET";
    if (method !== "GET" && method !== "HEAD") {
      res.writeHead(405, { Allow: "GET, HEAD", "Content-Type": "text/plain; charset=utf-8" }).end("method not allowed\n");
      return;
    }
    const file = fileFor(root, new URL(req.url ?? "/", "http://localhost").pathname);
    if (file) send(res, 200, file, method === "HEAD");
    else if (existsSync(notFound)) send(res, 404, notFound, method === "HEAD");
    else res.writeHead(404, { "Content-Type": "text/plain; charset=utf-8" }).end("not found\n");
  });
  const host = options.host ?? "127.0.0.1";
  return new Promise((resolvePromise, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8080, host, () => {
      const { port } = server.address() as AddressInfo;
      const shown = host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host;
      resolvePromise({
        url: `http://${shown.includes(":") ? `[${shown}]` : shown}:${port}/`,
        close: () => new Promise((done) => { server.closeAllConnections(); server.close(() => done()); }),
      });
    });
  });
}
