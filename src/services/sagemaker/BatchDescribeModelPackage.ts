import { getPackage } from '../../domain/registry/model-package.js';
import type { OpContext } from '../context.js';

/**
 * Summaries of up to 100 packages by ARN. An ARN that names nothing is not an error of the
 * call: it is reported in BatchDescribeModelPackageErrorMap (ErrorCode, ErrorResponse), as
 * AWS does. The summary requires ModelPackageGroupName and InferenceSpecification, so a
 * package without either (an unversioned one, or one registered without containers) is
 * reported there too.
 */
export async function BatchDescribeModelPackage(ctx: OpContext, input: { ModelPackageArnList: string[] }) {
  const ModelPackageSummaries: Record<string, unknown> = {};
  const BatchDescribeModelPackageErrorMap: Record<string, { ErrorCode: string; ErrorResponse: string }> = {};
  for (const arn of input.ModelPackageArnList) {
    const d = (await getPackage(ctx.store, ctx, arn))?.data.describe;
    if (!d) {
      BatchDescribeModelPackageErrorMap[arn] = { ErrorCode: 'ValidationException', ErrorResponse: `ModelPackage ${arn} does not exist.` };
    } else if (d.ModelPackageGroupName === undefined || d.InferenceSpecification === undefined) {
      BatchDescribeModelPackageErrorMap[arn] = {
        ErrorCode: 'ValidationException',
        ErrorResponse: `ModelPackage ${arn} is not a versioned model package with an InferenceSpecification.`,
      };
    } else {
      ModelPackageSummaries[arn] = {
        ModelPackageGroupName: d.ModelPackageGroupName,
        ModelPackageVersion: d.ModelPackageVersion,
        ModelPackageArn: d.ModelPackageArn,
        ...(d.ModelPackageDescription !== undefined ? { ModelPackageDescription: d.ModelPackageDescription } : {}),
        CreationTime: d.CreationTime,
        InferenceSpecification: d.InferenceSpecification,
        ModelPackageStatus: d.ModelPackageStatus,
        ...(d.ModelApprovalStatus !== undefined ? { ModelApprovalStatus: d.ModelApprovalStatus } : {}),
        ...(d.ModelPackageRegistrationType !== undefined ? { ModelPackageRegistrationType: d.ModelPackageRegistrationType } : {}),
      };
    }
  }
  return { ModelPackageSummaries, BatchDescribeModelPackageErrorMap };
}
