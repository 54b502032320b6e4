import type { RestJsonService } from '../../http/restjson.js';
import { spec } from '../../spec/generated/sagemaker-runtime.js';
import { InvokeEndpoint } from './InvokeEndpoint.js';
import { InvokeEndpointAsync } from './InvokeEndpointAsync.js';
import { InvokeEndpointWithResponseStream } from './InvokeEndpointWithResponseStream.js';

/** SageMaker Runtime (REST-JSON, signed as 'sagemaker'); every operation Slipway answers. */
export const runtime: RestJsonService = {
  specName: 'sagemaker-runtime',
  tables: spec,
  signingName: 'sagemaker',
  pathPrefix: '/endpoints/',
  // The Runtime models its input failures as ValidationError, not ValidationException.
  validationCode: 'ValidationError',
  // Payloads are capped at 6 MB by the model (BodyBlob); leave room for the check to answer.
  bodyLimit: 8 * 1024 * 1024,
  operations: { InvokeEndpoint, InvokeEndpointAsync, InvokeEndpointWithResponseStream },
};
