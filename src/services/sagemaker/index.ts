import type { Json11Service } from '../../http/json11.js';
import { CreateTrainingJob } from './CreateTrainingJob.js';
import { DeleteTrainingJob } from './DeleteTrainingJob.js';
import { DescribeTrainingJob } from './DescribeTrainingJob.js';
import { ListTrainingJobs } from './ListTrainingJobs.js';
import { StopTrainingJob } from './StopTrainingJob.js';
import { UpdateTrainingJob } from './UpdateTrainingJob.js';
import { AddTags } from './AddTags.js';
import { BatchDescribeModelPackage } from './BatchDescribeModelPackage.js';
import { CreateModelPackage } from './CreateModelPackage.js';
import { CreateModelPackageGroup } from './CreateModelPackageGroup.js';
import { DeleteModelPackage } from './DeleteModelPackage.js';
import { DeleteModelPackageGroup } from './DeleteModelPackageGroup.js';
import { DeleteModelPackageGroupPolicy } from './DeleteModelPackageGroupPolicy.js';
import { DescribeModelPackage } from './DescribeModelPackage.js';
import { DescribeModelPackageGroup } from './DescribeModelPackageGroup.js';
import { GetModelPackageGroupPolicy } from './GetModelPackageGroupPolicy.js';
import { ListModelPackageGroups } from './ListModelPackageGroups.js';
import { ListModelPackages } from './ListModelPackages.js';
import { PutModelPackageGroupPolicy } from './PutModelPackageGroupPolicy.js';
import { UpdateModelPackage } from './UpdateModelPackage.js';
import { CreateEndpoint } from './CreateEndpoint.js';
import { DeleteEndpoint } from './DeleteEndpoint.js';
import { DescribeEndpoint } from './DescribeEndpoint.js';
import { ListEndpoints } from './ListEndpoints.js';
import { UpdateEndpoint } from './UpdateEndpoint.js';
import { UpdateEndpointWeightsAndCapacities } from './UpdateEndpointWeightsAndCapacities.js';
import { CreateEndpointConfig } from './CreateEndpointConfig.js';
import { CreateModel } from './CreateModel.js';
import { DeleteEndpointConfig } from './DeleteEndpointConfig.js';
import { DeleteModel } from './DeleteModel.js';
import { DeleteTags } from './DeleteTags.js';
import { DescribeEndpointConfig } from './DescribeEndpointConfig.js';
import { DescribeModel } from './DescribeModel.js';
import { ListEndpointConfigs } from './ListEndpointConfigs.js';
import { ListModels } from './ListModels.js';
import { ListTags } from './ListTags.js';
import { CreateInferenceExperiment } from './CreateInferenceExperiment.js';
import { DeleteInferenceExperiment } from './DeleteInferenceExperiment.js';
import { DescribeInferenceExperiment } from './DescribeInferenceExperiment.js';
import { ListInferenceExperiments } from './ListInferenceExperiments.js';
import { StartInferenceExperiment } from './StartInferenceExperiment.js';
import { StopInferenceExperiment } from './StopInferenceExperiment.js';
import { UpdateInferenceExperiment } from './UpdateInferenceExperiment.js';

/** Every SageMaker operation Slipway answers; the README's table is generated from this list. */
export const sagemaker: Json11Service = {
  targetPrefix: 'SageMaker',
  signingName: 'sagemaker',
  specName: 'sagemaker',
  operations: {
    CreateTrainingJob,
    DeleteTrainingJob,
    DescribeTrainingJob,
    ListTrainingJobs,
    StopTrainingJob,
    UpdateTrainingJob,
    AddTags,
    BatchDescribeModelPackage,
    CreateModelPackage,
    CreateModelPackageGroup,
    DeleteModelPackage,
    DeleteModelPackageGroup,
    DeleteModelPackageGroupPolicy,
    DescribeModelPackage,
    DescribeModelPackageGroup,
    GetModelPackageGroupPolicy,
    ListModelPackageGroups,
    ListModelPackages,
    PutModelPackageGroupPolicy,
    UpdateModelPackage,
    CreateEndpoint,
    DeleteEndpoint,
    DescribeEndpoint,
    ListEndpoints,
    UpdateEndpoint,
    UpdateEndpointWeightsAndCapacities,
    CreateEndpointConfig,
    CreateModel,
    DeleteEndpointConfig,
    DeleteModel,
    DeleteTags,
    DescribeEndpointConfig,
    DescribeModel,
    ListEndpointConfigs,
    ListModels,
    ListTags,
    CreateInferenceExperiment,
    DeleteInferenceExperiment,
    DescribeInferenceExperiment,
    ListInferenceExperiments,
    StartInferenceExperiment,
    StopInferenceExperiment,
    UpdateInferenceExperiment,
  },
};
