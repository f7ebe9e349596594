#!/usr/bin/env node
// The small user server the class-arrival bench gives JupyterHub's SimpleLocalProcessSpawner: it
// listens where the spawner says (JUPYTERHUB_SERVICE_URL, else `--port=N`) and answers every request
// with a fixed marker, so the bench can tell the server's own answer from the hub's pending page.
import http from 'node:http';

function listenPort() {
  const serviceUrl = process.env.JUPYTERHUB_SERVICE_URL;
  if (serviceUrl) return Number(new URL(serviceUrl).port);
  const flag = process.argv.find((arg) => arg.startsWith('--port='));
  if (flag) return Number(flag.slice('--port='.length));
  throw new Error('class-server: no port given (JUPYTERHUB_SERVICE_URL or --port=N)');
}

const server = http.createServer((_req, res) => {
  res.writeHead(200, { 'content-type': 'text/plain' });
  res.end('class-server ok\n');
});
server.listen(listenPort(), '127.0.0.1');
for (const signal of ['SIGTERM', 'SIGINT']) process.on(signal, () => server.close(() => process.exit(0)));
