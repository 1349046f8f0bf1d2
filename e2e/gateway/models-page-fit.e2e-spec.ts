// What the Models page shows of each installed model, from the real models app: `models.catalog.list` with
// `with_fit`, asked as the gateway asks it, says per model whether it fits this machine now (the fit check's estimate
// from the GGUF header; no weights loaded, no model resident afterwards), with the numbers, and advice when it does
// not fit. Real bus, storage, monitor and models processes with generated test models.
import { requestWhenRoutable } from '@aico/bus/testing';
import { ModelsTopics } from '@aico/contracts';
import { ModelsStack, MODELS_TEST_ENV } from '../models/models-stack';
import { SIGNAL_TIMEOUT_MS } from '../support/timing';

/** More headroom than any machine has: every model is then too large (the numbers say by how much). */
const IMPOSSIBLE_HEADROOM = String(2 ** 50);

describe('the Models page: whether each model fits (real models app)', () => {
  let stack: ModelsStack;

  beforeAll(async () => {
    stack = await ModelsStack.start({ modelsEnv: MODELS_TEST_ENV });
    await stack.addModel('tiny');
  }, 4 * SIGNAL_TIMEOUT_MS);
  afterAll(() => stack?.stop());

  const list = (withFit: boolean) => stack.requester.request(ModelsTopics.catalogList, { withFit }, { timeoutMs: SIGNAL_TIMEOUT_MS });

  it('says a small model fits, with what it needs and what there is, without loading it', async () => {
    expect((await list(false)).fits).toEqual([]);
    const listing = await list(true);
    expect(listing.fits).toHaveLength(1);
    const [fit] = listing.fits;
    expect(fit).toMatchObject({ model: 'tiny', fits: true, advice: '' });
    expect(fit!.requiredBytes).toBeGreaterThan(0n);
    expect(fit!.availableBytes).toBeGreaterThan(fit!.requiredBytes);
    // Nothing was loaded to say so.
    expect((await stack.requester.request(ModelsTopics.status, {}, { timeoutMs: SIGNAL_TIMEOUT_MS })).loaded).toEqual([]);
  });

  it('says a model does not fit when the memory it needs is not there, with advice', async () => {
    await stack.process('models').stop(SIGNAL_TIMEOUT_MS);
    await stack.startApp('models', { ...MODELS_TEST_ENV, AICO_MODELS__MEMORY_HEADROOM_BYTES: IMPOSSIBLE_HEADROOM });
    // The new process answers once its subscriptions are through the bus.
    const [fit] = (
      await requestWhenRoutable((timeoutMs) => stack.requester.request(ModelsTopics.catalogList, { withFit: true }, { timeoutMs }), SIGNAL_TIMEOUT_MS)
    ).fits;
    expect(fit).toMatchObject({ model: 'tiny', fits: false, advice: expect.stringContaining('closing other applications') });
    expect(fit!.requiredBytes).toBeGreaterThan(fit!.availableBytes);
  });
});
