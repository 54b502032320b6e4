import type { RestJsonService } from '../../http/restjson.js';
import { spec } from '../../spec/generated/lookoutvision.js';

/** Amazon Lookout for Vision (REST-JSON under /2020-11-20); every operation Slipway answers. */
export const lookoutvision: RestJsonService = {
  specName: 'lookoutvision',
  tables: spec,
  signingName: 'lookoutvision',
  pathPrefix: '/2020-11-20/',
  validationCode: 'ValidationException',
  // DetectAnomalies carries whole images.
  bodyLimit: 32 * 1024 * 1024,
  operations: {},
};
