import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { AwsError } from '../../src/errors.js';
import { validateInput } from '../../src/spec/validate.js';

/** Runs validateInput and returns the AwsError it throws (fails the test if none). */
function refusal(op: string, input: unknown, spec = 'sagemaker'): AwsError {
  try {
    validateInput(spec, op, input);
  } catch (err) {
    assert.ok(err instanceof AwsError, `expected an AwsError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${op} accepted ${JSON.stringify(input)}`);
}

function invalid(op: string, input: unknown, message: string | RegExp, spec = 'sagemaker'): void {
  const e = refusal(op, input, spec);
  assert.equal(e.code, 'ValidationException');
  assert.equal(e.status, 400);
  if (typeof message === 'string') assert.equal(e.message, message);
  else assert.match(e.message, message);
}

function badType(op: string, input: unknown, message: string, spec = 'sagemaker'): void {
  const e = refusal(op, input, spec);
  assert.equal(e.code, 'SerializationException');
  assert.equal(e.status, 400);
  assert.equal(e.message, message);
}

const variant = (over: Record<string, unknown> = {}) => ({
  VariantName: 'AllTraffic',
  ModelName: 'echo',
  InstanceType: 'ml.m5.large',
  InitialInstanceCount: 1,
  InitialVariantWeight: 1,
  ...over,
});
const config = (over: Record<string, unknown> = {}) => ({ EndpointConfigName: 'echo-config', ProductionVariants: [variant()], ...over });
const NAME_PATTERN = '[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}';
const TAG_PATTERN = '([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)';

describe('validateInput (SageMaker)', () => {
  it('accepts valid inputs, including members the model does not know', () => {
    validateInput('sagemaker', 'DescribeEndpointConfig', { EndpointConfigName: 'echo-config' });
    validateInput('sagemaker', 'CreateEndpointConfig', config({ Tags: [{ Key: 'team', Value: 'ml' }], SomethingNew: { x: 1 } }));
    validateInput('sagemaker', 'CreateModel', {
      ModelName: 'm-1',
      PrimaryContainer: { Image: 'slipway/echo:latest', Environment: { LOG_LEVEL: 'debug', EMPTY: '' } },
      ExecutionRoleArn: 'arn:aws:iam::000000000000:role/SageMakerRole',
      EnableNetworkIsolation: false,
    });
  });

  it('missing required member: Value null … Member must not be null', () => {
    invalid(
      'DescribeEndpointConfig',
      {},
      "1 validation error detected: Value null at 'endpointConfigName' failed to satisfy constraint: Member must not be null",
    );
    // JSON null is "not set", as in AWS
    invalid('CreateModel', { ModelName: null }, "1 validation error detected: Value null at 'modelName' failed to satisfy constraint: Member must not be null");
    invalid(
      'CreateEndpointConfig',
      config({ ProductionVariants: [{ ModelName: 'echo' }] }),
      "1 validation error detected: Value null at 'productionVariants.1.member.variantName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('oversized name: 64 characters break both the length and the {0,62} pattern', () => {
    const name = 'a'.repeat(64);
    invalid(
      'DescribeEndpointConfig',
      { EndpointConfigName: name },
      `2 validation errors detected: Value '${name}' at 'endpointConfigName' failed to satisfy constraint: Member must have length less than or equal to 63; ` +
        `Value '${name}' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    );
    validateInput('sagemaker', 'DescribeEndpointConfig', { EndpointConfigName: 'a'.repeat(63) });
  });

  it('pattern failure', () => {
    invalid(
      'DescribeEndpointConfig',
      { EndpointConfigName: 'bad_name' },
      `1 validation error detected: Value 'bad_name' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}`,
    );
    // whole-value match: a valid prefix is not enough
    invalid('DescribeEndpointConfig', { EndpointConfigName: 'ok-' }, /at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  it('enum failure lists the allowed values', () => {
    const e = refusal('CreateEndpointConfig', config({ ProductionVariants: [variant({ InstanceType: 'ml.fake' })] }));
    assert.equal(e.code, 'ValidationException');
    assert.match(
      e.message,
      /^1 validation error detected: Value 'ml\.fake' at 'productionVariants\.1\.member\.instanceType' failed to satisfy constraint: Member must satisfy enum value set: \[ml\.t2\.medium, .*ml\.m5\.large, .*\]$/,
    );
  });

  it('list longer than its max (11 ProductionVariants, max 10)', () => {
    const v = { VariantName: 'v', ModelName: 'm' };
    const rendered = `[${Array(11).fill('{ModelName=m, VariantName=v}').join(', ')}]`;
    invalid(
      'CreateEndpointConfig',
      config({ ProductionVariants: Array(11).fill(v) }),
      `1 validation error detected: Value '${rendered}' at 'productionVariants' failed to satisfy constraint: Member must have length less than or equal to 10`,
    );
    invalid(
      'CreateEndpointConfig',
      config({ ProductionVariants: [] }),
      "1 validation error detected: Value '[]' at 'productionVariants' failed to satisfy constraint: Member must have length greater than or equal to 1",
    );
  });

  it('numeric ranges: negative InitialVariantWeight (float, printed as Java does), InitialInstanceCount 0', () => {
    invalid(
      'CreateEndpointConfig',
      config({ ProductionVariants: [variant({ InitialVariantWeight: -1 })] }),
      "1 validation error detected: Value '-1.0' at 'productionVariants.1.member.initialVariantWeight' failed to satisfy constraint: Member must have value greater than or equal to 0",
    );
    invalid(
      'CreateEndpointConfig',
      config({ ProductionVariants: [variant({ InitialInstanceCount: 0 })] }),
      "1 validation error detected: Value '0' at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1",
    );
    validateInput('sagemaker', 'CreateEndpointConfig', config({ ProductionVariants: [variant({ InitialVariantWeight: 0.5 })] }));
  });

  it('Tags: more than 50, and a key with characters outside the pattern', () => {
    const tags = Array.from({ length: 51 }, (_, i) => ({ Key: `k${i}`, Value: 'v' }));
    invalid(
      'CreateEndpointConfig',
      config({ Tags: tags }),
      /^1 validation error detected: Value '\[\{Key=k0, Value=v\}, .*\{Key=k50, Value=v\}\]' at 'tags' failed to satisfy constraint: Member must have length less than or equal to 50$/,
    );
    validateInput('sagemaker', 'CreateEndpointConfig', config({ Tags: tags.slice(0, 50) }));
    invalid(
      'CreateEndpointConfig',
      config({ Tags: [{ Key: 'ok', Value: 'v' }, { Key: 'cost#center', Value: 'v' }] }),
      `1 validation error detected: Value 'cost#center' at 'tags.2.member.key' failed to satisfy constraint: Member must satisfy regular expression pattern: ${TAG_PATTERN}`,
    );
  });

  it('nested structure: DataCaptureConfig.InitialSamplingPercentage 101', () => {
    const dc = { EnableCapture: true, InitialSamplingPercentage: 101, DestinationS3Uri: 's3://bucket/capture', CaptureOptions: [{ CaptureMode: 'Input' }] };
    invalid(
      'CreateEndpointConfig',
      config({ DataCaptureConfig: dc }),
      "1 validation error detected: Value '101' at 'dataCaptureConfig.initialSamplingPercentage' failed to satisfy constraint: Member must have value less than or equal to 100",
    );
    validateInput('sagemaker', 'CreateEndpointConfig', config({ DataCaptureConfig: { ...dc, InitialSamplingPercentage: 100 } }));
  });

  it('counts several violations over the whole input, joined with "; "', () => {
    invalid(
      'CreateEndpointConfig',
      { EndpointConfigName: 'bad_name', ProductionVariants: [variant({ InitialInstanceCount: 0 }), { ModelName: 'm' }] },
      `3 validation errors detected: Value 'bad_name' at 'endpointConfigName' failed to satisfy constraint: Member must satisfy regular expression pattern: ${NAME_PATTERN}; ` +
        "Value '0' at 'productionVariants.1.member.initialInstanceCount' failed to satisfy constraint: Member must have value greater than or equal to 1; " +
        "Value null at 'productionVariants.2.member.variantName' failed to satisfy constraint: Member must not be null",
    );
  });

  it('lists and maps of scalars report once, with the element constraints in brackets', () => {
    invalid(
      'CreateModel',
      { ModelName: 'm', VpcConfig: { SecurityGroupIds: ['sg-1', 'bad sg'], Subnets: ['subnet-1'] } },
      "1 validation error detected: Value '[sg-1, bad sg]' at 'vpcConfig.securityGroupIds' failed to satisfy constraint: Member must satisfy constraint: " +
        '[Member must have length less than or equal to 32, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: [-0-9a-zA-Z]+, Member must not be null]',
    );
    invalid(
      'CreateModel',
      { ModelName: 'm', PrimaryContainer: { Image: 'x', Environment: { 'bad key': 'v' } } },
      "1 validation error detected: Value '{bad key=v}' at 'primaryContainer.environment' failed to satisfy constraint: Map keys must satisfy constraint: " +
        '[Member must have length less than or equal to 1024, Member must have length greater than or equal to 0, Member must satisfy regular expression pattern: [a-zA-Z_][a-zA-Z0-9_]*]',
    );
    invalid(
      'CreateModel',
      { ModelName: 'm', PrimaryContainer: { Image: 'x', Environment: { K: 'v'.repeat(1025) } } },
      /^1 validation error detected: Value '\{K=v+\}' at 'primaryContainer\.environment' failed to satisfy constraint: Map value must satisfy constraint: \[Member must have length less than or equal to 1024, /,
    );
  });

  it('unicode: \\p{L} accepts é, and lengths count code points', () => {
    validateInput('sagemaker', 'CreateEndpointConfig', config({ Tags: [{ Key: 'équipe', Value: 'données é' }] }));
    const script = '\u{1D49C}'; // MATHEMATICAL SCRIPT CAPITAL A: a letter, two UTF-16 units
    validateInput('sagemaker', 'CreateEndpointConfig', config({ Tags: [{ Key: script.repeat(128), Value: 'v' }] }));
    invalid(
      'CreateEndpointConfig',
      config({ Tags: [{ Key: script.repeat(129), Value: 'v' }] }),
      `1 validation error detected: Value '${script.repeat(129)}' at 'tags.1.member.key' failed to satisfy constraint: Member must have length less than or equal to 128`,
    );
    invalid('CreateEndpointConfig', config({ Tags: [{ Key: 'k', Value: '☃' }] }), /Value '☃' at 'tags\.1\.member\.value' failed to satisfy constraint: Member must satisfy regular expression pattern/);
  });

  it('wrong JSON types are SerializationException naming the member', () => {
    badType('DescribeEndpointConfig', { EndpointConfigName: 5 }, "Expected a string at 'endpointConfigName' but found a number.");
    badType('CreateEndpointConfig', config({ ProductionVariants: 'all' }), "Expected a list (JSON array) at 'productionVariants' but found a string.");
    badType('CreateEndpointConfig', config({ ProductionVariants: ['v'] }), "Expected a structure (JSON object) at 'productionVariants.1.member' but found a string.");
    badType(
      'CreateEndpointConfig',
      config({ ProductionVariants: [variant({ InitialInstanceCount: 1.5 })] }),
      "Expected an integer at 'productionVariants.1.member.initialInstanceCount' but found a number.",
    );
    badType(
      'CreateEndpointConfig',
      config({ ProductionVariants: [variant({ InitialVariantWeight: '1' })] }),
      "Expected a number at 'productionVariants.1.member.initialVariantWeight' but found a string.",
    );
    badType('CreateModel', { ModelName: 'm', EnableNetworkIsolation: 'true' }, "Expected a boolean at 'enableNetworkIsolation' but found a string.");
    badType('CreateModel', { ModelName: 'm', PrimaryContainer: [] }, "Expected a structure (JSON object) at 'primaryContainer' but found an array.");
    badType(
      'CreateModel',
      { ModelName: 'm', VpcConfig: { SecurityGroupIds: ['sg-1', 7], Subnets: ['s'] } },
      "Expected a string at 'vpcConfig.securityGroupIds.2.member' but found a number.",
    );
    badType('CreateModel', { ModelName: 'm', PrimaryContainer: { Environment: { K: 1 } } }, "Expected a string at 'primaryContainer.environment.K.member' but found a number.");
    badType('ListModels', { CreationTimeAfter: '2024-01-01T00:00:00Z' }, "Expected a timestamp (epoch seconds number) at 'creationTimeAfter' but found a string.");
    validateInput('sagemaker', 'ListModels', { CreationTimeAfter: 1700000000.5 });
    // a type error wins over constraint violations elsewhere: AWS fails deserialization first
    badType('CreateEndpointConfig', { EndpointConfigName: 'bad_name', KmsKeyId: {} }, "Expected a string at 'kmsKeyId' but found an object.");
  });

  it('refuses an operation missing from the generated tables instead of skipping validation', () => {
    assert.throws(() => validateInput('sagemaker', 'NoSuchOperation', {}), /not in src\/spec\/generated; run npm run gen/);
    assert.throws(() => validateInput('nope', 'DescribeModel', {}), /no generated tables for spec nope/);
  });
});

describe('validateInput (REST-JSON tables)', () => {
  it('runtime InvokeEndpoint: translated \\A…\\z pattern, bytes payload', () => {
    const base = { EndpointName: 'echo', Body: new Uint8Array([1, 2, 3]) };
    validateInput('sagemaker-runtime', 'InvokeEndpoint', { ...base, InferenceId: 'abc-123' });
    invalid(
      'InvokeEndpoint',
      { ...base, InferenceId: ' leading-space' },
      "1 validation error detected: Value ' leading-space' at 'inferenceId' failed to satisfy constraint: Member must satisfy regular expression pattern: \\A\\S[\\p{Print}]*\\z",
      'sagemaker-runtime',
    );
    invalid('InvokeEndpoint', { EndpointName: 'echo' }, "1 validation error detected: Value null at 'body' failed to satisfy constraint: Member must not be null", 'sagemaker-runtime');
  });

  it('Lookout for Vision: required members and a translated pattern', () => {
    validateInput('lookoutvision', 'CreateProject', { ProjectName: 'circuit-boards', ClientToken: 'token-1' });
    invalid('CreateProject', {}, "1 validation error detected: Value null at 'projectName' failed to satisfy constraint: Member must not be null", 'lookoutvision');
    validateInput('lookoutvision', 'ListProjects', { NextToken: 'abc+/=' });
    invalid('ListProjects', { NextToken: 'a b' }, /Value 'a b' at 'nextToken' failed to satisfy constraint: Member must satisfy regular expression pattern: \^\[a-zA-Z0-9\\\/\\\+\\=\]\{0,2048\}\$$/, 'lookoutvision');
  });
});

describe('validateInput speed', () => {
  it('a DescribeEndpointConfig-sized input validates well under 20 µs per call', () => {
    const input = { EndpointConfigName: 'my-endpoint-config' };
    for (let i = 0; i < 20_000; i++) validateInput('sagemaker', 'DescribeEndpointConfig', input);
    const n = 100_000;
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < n; i++) validateInput('sagemaker', 'DescribeEndpointConfig', input);
    const perCallUs = Number(process.hrtime.bigint() - t0) / n / 1000;
    assert.ok(perCallUs < 20, `validateInput took ${perCallUs.toFixed(3)} µs per call`);
  });
});
