// Just enough of Step Functions (StartExecution, JSON 1.0), MediaLive (DescribeChannel, REST-JSON) and a
// MediaPackage-like HLS origin on one loopback HTTP server, for triage tests that must control what the
// confirmation sees. The real SDK clients talk to it over real sockets.
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StartCall {
  stateMachineArn: string;
  name: string;
  input: string;
}

export interface LoopbackAws {
  url: string;
  /** Every request, as "<service>:<operation>". */
  calls: string[];
  starts: StartCall[];
  /** name -> execution (the first input wins; a different input or a closed execution => ExecutionAlreadyExists). */
  executions: Map<string, { arn: string; input: string; stateMachineArn: string; closed: boolean }>;
  /** MediaLive channel id -> what DescribeChannel answers ('error' => HTTP 503). */
  channels: Map<string, { state: string; pipelinesRunningCount: number } | 'error'>;
  /** playlist name -> fresh (segments up to now) or stale (nothing new for a minute). */
  manifests: Map<string, 'fresh' | 'stale'>;
  close(): Promise<void>;
}

const body = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (text += c));
    req.on('end', () => resolve(text));
    req.on('error', reject);
  });

/** A live HLS media playlist whose newest segment ends `endAgoMs` before now (2 s segments, PDT on each). */
function playlist(endAgoMs: number): string {
  const end = Date.now() - endAgoMs;
  const lines = ['#EXTM3U', '#EXT-X-VERSION:6', '#EXT-X-TARGETDURATION:2', '#EXT-X-MEDIA-SEQUENCE:100'];
  for (let i = 5; i >= 1; i--) {
    lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(end - i * 2000).toISOString()}`, '#EXTINF:2.000,', `seg${105 - i}.ts`);
  }
  return `${lines.join('\n')}\n`;
}

export async function startLoopbackAws(): Promise<LoopbackAws> {
  const state: Omit<LoopbackAws, 'url' | 'close'> = {
    calls: [],
    starts: [],
    executions: new Map(),
    channels: new Map(),
    manifests: new Map(),
  };
  const server: Server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://x');
      const target = req.headers['x-amz-target'];
      if (req.method === 'POST' && target === 'AWSStepFunctions.StartExecution') {
        state.calls.push('sfn:StartExecution');
        const call = JSON.parse(await body(req)) as StartCall;
        state.starts.push(call);
        const existing = state.executions.get(call.name);
        res.setHeader('content-type', 'application/x-amz-json-1.0');
        if (existing && (existing.closed || existing.input !== call.input)) {
          res.statusCode = 400;
          res.end(JSON.stringify({ __type: 'ExecutionAlreadyExists', message: `Execution Already Exists: '${existing.arn}'` }));
          return;
        }
        const arn = existing?.arn ?? `${call.stateMachineArn.replace(':stateMachine:', ':execution:')}:${call.name}`;
        if (!existing) state.executions.set(call.name, { arn, input: call.input, stateMachineArn: call.stateMachineArn, closed: false });
        res.end(JSON.stringify({ executionArn: arn, startDate: Date.now() / 1000 }));
        return;
      }
      const channel = /^\/prod\/channels\/(\d+)$/.exec(url.pathname);
      if (req.method === 'GET' && channel) {
        state.calls.push('medialive:DescribeChannel');
        const id = channel[1] as string;
        const c = state.channels.get(id) ?? { state: 'RUNNING', pipelinesRunningCount: 2 };
        res.setHeader('content-type', 'application/json');
        if (c === 'error') {
          res.statusCode = 503;
          res.setHeader('x-amzn-errortype', 'ServiceUnavailableException');
          res.end(JSON.stringify({ message: 'regional outage (simulated)' }));
          return;
        }
        res.end(JSON.stringify({ id, arn: `arn:aws:medialive:us-east-1:123456789012:channel:${id}`, state: c.state, pipelinesRunningCount: c.pipelinesRunningCount }));
        return;
      }
      const hls = /^\/hls\/([\w-]+)\.m3u8$/.exec(url.pathname);
      if (req.method === 'GET' && hls) {
        state.calls.push('origin:GET');
        const mode = state.manifests.get(hls[1] as string) ?? 'fresh';
        res.setHeader('content-type', 'application/vnd.apple.mpegurl');
        res.end(playlist(mode === 'fresh' ? 0 : 60_000));
        return;
      }
      res.statusCode = 404;
      res.end('not found');
    })().catch((err: unknown) => {
      res.statusCode = 500;
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    ...state,
    url,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
