// with_fit in `models.catalog.list`: one fit per model whose file is present, from the fit check's decision (no
// weights loaded), and nothing when it is not asked for or no engine can estimate (the Ollama back end).
import { create } from '@bufbuild/protobuf';
import type { ModuleRef } from '@nestjs/core';
import { CatalogModelSchema, ListModelsRequestSchema } from '@aico/contracts';
import { captureLogger } from '@aico/logging';
import type { ModelsConfig } from '../models.config';
import { CatalogController } from './catalog.controller';
import { checkFit } from './fit-check';
import type { ModelCatalog } from './model-catalog';
import { fitsOf, MODEL_FIT, type ModelFitCheck } from './model-fit';

const GiB = 1024 ** 3;
const small = create(CatalogModelSchema, { id: 'small', file: 'small.gguf', contextLength: 4096, quantization: 'Q4_K_M', parameters: 1_000_000_000n });
const large = create(CatalogModelSchema, { id: 'large', file: 'large.gguf', contextLength: 8192, quantization: 'F16', parameters: 8_000_000_000n });
const gone = create(CatalogModelSchema, { id: 'gone', file: 'gone.gguf' });
const listing = { models: [small, large, gone], modelsDir: '/data/models', missingFiles: ['gone'] };

/** The real decision on numbers, with estimates by model (as llama.cpp's insights would give them) and 4 GiB free. */
function estimates(): ModelFitCheck & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    fit: (model) => {
      asked.push(model.absolutePath);
      if (model.name === 'broken') return Promise.reject(new Error('not a GGUF header'));
      const modelRamBytes = model.name === 'large' ? 16 * GiB : 1 * GiB;
      return Promise.resolve(
        checkFit({
          model: { name: model.name, quantization: model.quantization, parameters: model.parameters },
          estimate: { modelRamBytes, modelVramBytes: 0, contextRamBytes: 0.5 * GiB, contextVramBytes: 0, contextSize: model.contextLength },
          freeRamBytes: 4 * GiB,
          freeVramBytes: 0,
          headroomBytes: 0.5 * GiB,
        }),
      );
    },
  };
}

describe('with_fit in the catalog listing', () => {
  it('says per model whose file is present whether it fits, with the numbers and advice, asking the fit check for the file in the models directory', async () => {
    const check = estimates();
    const fits = await fitsOf(listing, check, captureLogger('models').logger);
    expect(check.asked).toEqual(['/data/models/small.gguf', '/data/models/large.gguf']);
    expect(fits).toEqual([
      { model: 'small', fits: true, requiredBytes: BigInt(2 * GiB), availableBytes: BigInt(4 * GiB), advice: '' },
      {
        model: 'large',
        fits: false,
        requiredBytes: BigInt(17 * GiB),
        availableBytes: BigInt(4 * GiB),
        advice: expect.stringContaining('a smaller quantization of this model'),
      },
    ]);
  });

  it('leaves out a model whose estimate fails, logging why, and still lists the others', async () => {
    const { logger, lines } = captureLogger('models');
    const broken = create(CatalogModelSchema, { id: 'broken', file: 'broken.gguf' });
    const fits = await fitsOf({ ...listing, models: [broken, small] }, estimates(), logger);
    expect(fits.map((fit) => fit.model)).toEqual(['small']);
    expect(lines.some((line) => line['msg'] === 'Could not estimate whether a model fits' && line['model'] === 'broken')).toBe(true);
  });

  it('answers fits on the bus only when asked, and none without an engine to estimate', async () => {
    const catalog = { list: () => Promise.resolve(listing) } as unknown as ModelCatalog;
    const config = { models: { backend: 'llama.cpp' } } as unknown as ModelsConfig;
    const withEngine = { get: (token: unknown) => (token === MODEL_FIT ? estimates() : undefined) } as unknown as ModuleRef;
    const withoutEngine = { get: () => null } as unknown as ModuleRef;
    const { logger } = captureLogger('models');
    const controller = new CatalogController(catalog, logger, config, withEngine);
    expect(await controller.list(create(ListModelsRequestSchema, {}))).not.toHaveProperty('fits');
    expect((await controller.list(create(ListModelsRequestSchema, { withFit: true }))).fits?.map((fit) => [fit.model, fit.fits])).toEqual([
      ['small', true],
      ['large', false],
    ]);
    expect(await new CatalogController(catalog, logger, config, withoutEngine).list(create(ListModelsRequestSchema, { withFit: true }))).not.toHaveProperty(
      'fits',
    );
  });
});
