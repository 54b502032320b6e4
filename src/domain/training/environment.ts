/**
 * The container's view of a training job: config files under input/config and the SM_*
 * environment, derived the way the SageMaker training toolkit (sagemaker-training,
 * `_env.py` / `environment.py`) derives them from those files, so scripts written for the
 * toolkit (or reading the variables directly) run unchanged.
 */
import { cpus } from 'node:os';
import { join } from 'node:path';
import { HOST, type TrainingJobView } from './job.js';

export interface ContainerLayout {
  base: string;
  inputDir: string;
  configDir: string;
  dataDir: string;
  modelDir: string;
  outputDir: string;
  outputDataDir: string;
  intermediateDir: string;
  checkpointDir: string;
}

export function layout(base: string, job: TrainingJobView): ContainerLayout {
  const inputDir = join(base, 'input');
  // CheckpointConfig.LocalPath defaults to /opt/ml/checkpoints; a path under /opt/ml maps into
  // the job's base, anything else to the default (there is no other filesystem to offer).
  const lp = job.CheckpointConfig?.LocalPath;
  const underOptMl = lp && /^\/opt\/ml\/[A-Za-z0-9._/-]+$/.test(lp) && !lp.split('/').includes('..');
  const checkpointDir = underOptMl ? join(base, ...lp!.slice('/opt/ml/'.length).split('/').filter(Boolean)) : join(base, 'checkpoints');
  return {
    base,
    inputDir,
    configDir: join(inputDir, 'config'),
    dataDir: join(inputDir, 'data'),
    modelDir: join(base, 'model'),
    outputDir: join(base, 'output'),
    outputDataDir: join(base, 'output', 'data'),
    intermediateDir: join(base, 'output', 'intermediate'),
    checkpointDir,
  };
}

export function resourceConfig(job: TrainingJobView) {
  const type = job.ResourceConfig?.InstanceType ?? 'ml.m5.large';
  return {
    current_host: HOST,
    current_instance_type: type,
    current_group_name: 'homogeneousCluster',
    hosts: [HOST],
    instance_groups: [{ instance_group_name: 'homogeneousCluster', instance_type: type, hosts: [HOST] }],
    network_interface_name: 'eth0',
  };
}

export function inputDataConfig(job: TrainingJobView) {
  const out: Record<string, Record<string, string>> = {};
  for (const c of job.InputDataConfig ?? []) {
    out[c.ChannelName] = {
      ...(c.ContentType ? { ContentType: c.ContentType } : {}),
      TrainingInputMode: c.InputMode ?? job.AlgorithmSpecification.TrainingInputMode ?? 'File',
      S3DistributionType: c.DataSource.S3DataSource?.S3DataDistributionType ?? 'FullyReplicated',
      RecordWrapperType: c.RecordWrapperType ?? 'None',
    };
  }
  return out;
}

/** Toolkit rule: hyperparameter values that parse as JSON are used as such, else the string. */
function decodeHp(v: string): unknown {
  try {
    return JSON.parse(v);
  } catch {
    return v;
  }
}

const envName = (s: string) => s.toUpperCase().replace(/[^A-Z0-9_]/g, '_');
const asEnv = (v: unknown) => (typeof v === 'string' ? v : JSON.stringify(v));

/** The job's `Environment`, then TRAINING_JOB_NAME/ARN and the SM_* variables. */
export function trainingEnvironment(job: TrainingJobView, l: ContainerLayout): Record<string, string> {
  const hps = Object.fromEntries(Object.entries(job.HyperParameters ?? {}).map(([k, v]) => [k, decodeHp(v)]));
  const channels = (job.InputDataConfig ?? []).map((c) => c.ChannelName).sort();
  const channelDirs = Object.fromEntries(channels.map((c) => [c, join(l.dataDir, c)]));
  const rc = resourceConfig(job);
  const idc = inputDataConfig(job);
  const numCpus = cpus().length;
  const trainingEnv = {
    additional_framework_parameters: {},
    channel_input_dirs: channelDirs,
    current_host: HOST,
    current_instance_type: rc.current_instance_type,
    current_instance_group: rc.current_group_name,
    current_instance_group_hosts: [HOST],
    distribution_hosts: [],
    distribution_instance_groups: [],
    framework_module: null,
    hosts: [HOST],
    hyperparameters: hps,
    input_config_dir: l.configDir,
    input_data_config: idc,
    input_dir: l.inputDir,
    instance_groups: [rc.current_group_name],
    instance_groups_dict: { [rc.current_group_name]: rc.instance_groups[0] },
    is_hetero: false,
    is_master: true,
    is_modelparallel_enabled: null,
    job_name: job.TrainingJobName,
    log_level: 20,
    master_hostname: HOST,
    model_dir: l.modelDir,
    module_dir: '',
    module_name: '',
    network_interface_name: rc.network_interface_name,
    num_cpus: numCpus,
    num_gpus: 0,
    num_neurons: 0,
    output_data_dir: l.outputDataDir,
    output_dir: l.outputDir,
    output_intermediate_dir: l.intermediateDir,
    resource_config: rc,
    user_entry_point: '',
  };
  const env: Record<string, string> = {
    ...(job.Environment ?? {}),
    TRAINING_JOB_NAME: job.TrainingJobName,
    TRAINING_JOB_ARN: job.TrainingJobArn,
    SAGEMAKER_BASE_DIR: l.base,
    SM_MODEL_DIR: l.modelDir,
    SM_INPUT_DIR: l.inputDir,
    SM_INPUT_CONFIG_DIR: l.configDir,
    SM_OUTPUT_DIR: l.outputDir,
    SM_OUTPUT_DATA_DIR: l.outputDataDir,
    SM_OUTPUT_INTERMEDIATE_DIR: l.intermediateDir,
    SM_CHANNELS: JSON.stringify(channels),
    SM_HPS: JSON.stringify(hps),
    SM_HOSTS: JSON.stringify([HOST]),
    SM_CURRENT_HOST: HOST,
    SM_CURRENT_INSTANCE_TYPE: rc.current_instance_type,
    SM_CURRENT_INSTANCE_GROUP: rc.current_group_name,
    SM_CURRENT_INSTANCE_GROUP_HOSTS: JSON.stringify([HOST]),
    SM_INSTANCE_GROUPS: JSON.stringify([rc.current_group_name]),
    SM_INSTANCE_GROUPS_DICT: JSON.stringify(trainingEnv.instance_groups_dict),
    SM_IS_HETERO: 'false',
    SM_MASTER_HOSTNAME: HOST,
    SM_NETWORK_INTERFACE_NAME: rc.network_interface_name,
    SM_NUM_CPUS: String(numCpus),
    SM_NUM_GPUS: '0',
    SM_NUM_NEURONS: '0',
    SM_LOG_LEVEL: '20',
    SM_RESOURCE_CONFIG: JSON.stringify(rc),
    SM_INPUT_DATA_CONFIG: JSON.stringify(idc),
    SM_USER_ARGS: JSON.stringify(Object.entries(hps).flatMap(([k, v]) => [`--${k}`, asEnv(v)])),
    SM_TRAINING_ENV: JSON.stringify(trainingEnv),
  };
  for (const c of channels) env[`SM_CHANNEL_${envName(c)}`] = channelDirs[c]!;
  for (const [k, v] of Object.entries(hps)) env[`SM_HP_${envName(k)}`] = asEnv(v);
  return env;
}
