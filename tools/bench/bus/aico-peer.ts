// aico peer process: one BusClient (typed envelopes, CURVE, send queue, validation on receive). The 'monitor' peer
// publishes and requests (through BusClient.request() or the Nest ZmqClient); the 'gateway' peer subscribes and
// answers requests with handle().
import 'reflect-metadata';
import { lastValueFrom } from 'rxjs';
import type { MessageInitShape } from '@bufbuild/protobuf';
import { ZmqClient } from '@aico/bus';
import { isServiceIdentity, type PingRequestSchema, type PingResponse } from '@aico/contracts';
import { benchClient, benchRegistry, BenchTopics, SUBSCRIBER_IDENTITY } from './bench-topics';
import { floodLoop, log, pacedLoop, readSetup, ReceiveStats, serve, sleep, type SendOne } from './child-runtime';
import { ECHO_TOPIC, Kind, makePayload, nowNs, summarize, type CommandArgs, type RoundTripResult } from './protocol';

type EchoRequest = MessageInitShape<typeof PingRequestSchema>;

/** Publishes awaited per batch: BusClient's send queue serialises, so only the batch's last publish is awaited. */
const DEFAULT_AWAIT_EVERY = 256;

async function main(): Promise<void> {
  const setup = readSetup();
  const identity = setup.identity ?? '';
  if (!isServiceIdentity(identity)) throw new Error(`${setup.name}: unknown identity "${identity}"`);
  const bus = benchClient(setup, identity);
  const stats = new ReceiveStats();
  if (identity === SUBSCRIBER_IDENTITY) {
    // A realistic subscriber: it reads the typed payload (unpacking the Any), then looks at the bytes.
    bus.subscribe(BenchTopics.flood, (event) => {
      const data = event.payload.data;
      stats.onMessage(data[0], data);
    });
    bus.handle(BenchTopics.echo, (request) => ({ data: request.payload.data, sequence: request.payload.sequence, service: identity }));
  }
  await bus.connect();
  const nest = new ZmqClient(bus, benchRegistry);
  const nestQuick = new ZmqClient(bus, benchRegistry, { timeoutMs: 200 });

  const sendEvent: SendOne = (kind, sequence) => bus.publish(BenchTopics.flood, { data: makePayload(kind, sequence, nowNs()), sequence: BigInt(sequence) });
  const request = (via: CommandArgs['via'], payload: EchoRequest, quick = false): Promise<unknown> =>
    via === 'nest'
      ? lastValueFrom((quick ? nestQuick : nest).send<PingResponse>(ECHO_TOPIC, payload))
      : bus.request(BenchTopics.echo, payload, quick ? { timeoutMs: 200 } : {});
  let helloTimer: NodeJS.Timeout | undefined;

  serve(
    {
      startHello: () => {
        helloTimer = setInterval(() => void sendEvent(Kind.Hello, 0).catch(() => undefined), 5);
      },
      stopHello: () => clearInterval(helloTimer),
      waitHello: () => stats.waitHello(),
      reset: () => stats.reset(),
      collect: (args) => stats.collect(args),
      flood: (args) => floodLoop(sendEvent, { awaitEvery: DEFAULT_AWAIT_EVERY, ...args }),
      paced: (args) => pacedLoop(sendEvent, false, args),
      // Requests until one is answered: the request and reply subscriptions have reached both publishers.
      roundTripReady: async (args) => {
        for (let attempt = 0; ; attempt++) {
          try {
            await request(args.via, { data: makePayload(Kind.Request, -1, nowNs()), sequence: 0n }, true);
            return;
          } catch (error) {
            if (attempt >= 50) throw error;
          }
        }
      },
      roundTrips: async (args): Promise<RoundTripResult> => {
        const warmupMs = args.warmupMs ?? 300;
        const durationMs = args.durationMs ?? 3_000;
        const start = nowNs();
        const warmEndNs = start + warmupMs * 1e6;
        const stopAtNs = start + (warmupMs + durationMs) * 1e6;
        const rtts: number[] = [];
        let errors = 0;
        let sequence = 0;
        const worker = async (): Promise<void> => {
          for (;;) {
            const sentAt = nowNs();
            if (sentAt >= stopAtNs) return;
            const seq = sequence++;
            try {
              await request(args.via, { data: makePayload(Kind.Request, seq, sentAt), sequence: BigInt(seq) });
            } catch (error) {
              if (errors++ === 0) log(setup.name, `round trip failed: ${(error as Error).message}`);
              await sleep(1);
              continue;
            }
            const now = nowNs();
            if (now >= warmEndNs && now <= stopAtNs) rtts.push((now - sentAt) / 1e6);
          }
        };
        await Promise.all(Array.from({ length: args.concurrency ?? 64 }, worker));
        return { completed: rtts.length, seconds: durationMs / 1000, errors, latencyMs: summarize(rtts) };
      },
      busStats: () => bus.stats,
    },
    { replyTopic: bus.replyTopic },
    async () => {
      clearInterval(helloTimer);
      await bus.close({ drainTimeoutMs: 0 });
    },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`[bench:aico-peer] failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
