import type { RestJsonService } from '../../http/restjson.js';
import { spec } from '../../spec/generated/lookoutvision.js';
import { CreateDataset } from './CreateDataset.js';
import { CreateModel } from './CreateModel.js';
import { CreateProject } from './CreateProject.js';
import { DeleteDataset } from './DeleteDataset.js';
import { DeleteModel } from './DeleteModel.js';
import { DeleteProject } from './DeleteProject.js';
import { DescribeDataset } from './DescribeDataset.js';
import { DescribeModel } from './DescribeModel.js';
import { DescribeModelPackagingJob } from './DescribeModelPackagingJob.js';
import { DescribeProject } from './DescribeProject.js';
import { DetectAnomalies } from './DetectAnomalies.js';
import { ListDatasetEntries } from './ListDatasetEntries.js';
import { ListModelPackagingJobs } from './ListModelPackagingJobs.js';
import { ListModels } from './ListModels.js';
import { ListProjects } from './ListProjects.js';
import { ListTagsForResource } from './ListTagsForResource.js';
import { StartModel } from './StartModel.js';
import { StartModelPackagingJob } from './StartModelPackagingJob.js';
import { StopModel } from './StopModel.js';
import { TagResource } from './TagResource.js';
import { UntagResource } from './UntagResource.js';
import { UpdateDatasetEntries } from './UpdateDatasetEntries.js';

/** Amazon Lookout for Vision (REST-JSON under /2020-11-20); every operation Slipway answers. */
export const lookoutvision: RestJsonService = {
  specName: 'lookoutvision',
  tables: spec,
  signingName: 'lookoutvision',
  pathPrefix: '/2020-11-20/',
  validationCode: 'ValidationException',
  // DetectAnomalies carries whole images.
  bodyLimit: 32 * 1024 * 1024,
  operations: {
    CreateDataset,
    CreateModel,
    CreateProject,
    DeleteDataset,
    DeleteModel,
    DeleteProject,
    DescribeDataset,
    DescribeModel,
    DescribeModelPackagingJob,
    DescribeProject,
    DetectAnomalies,
    ListDatasetEntries,
    ListModelPackagingJobs,
    ListModels,
    ListProjects,
    ListTagsForResource,
    StartModel,
    StartModelPackagingJob,
    StopModel,
    TagResource,
    UntagResource,
    UpdateDatasetEntries,
  },
};
