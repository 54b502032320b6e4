import type { Json11Service } from '../../http/json11.js';
import { CreateModel } from './CreateModel.js';
import { DescribeModel } from './DescribeModel.js';

/** Every SageMaker operation Slipway answers; the README's table is generated from this list. */
export const sagemaker: Json11Service = {
  targetPrefix: 'SageMaker',
  signingName: 'sagemaker',
  specName: 'sagemaker',
  operations: {
    CreateModel,
    DescribeModel,
  },
};
