import { AwsError } from '../errors.js';

/**
 * S3's own error codes and wording. The object store throws them so that every caller (the
 * S3 API, controllers reading `s3://` artifacts) sees the same typed failure.
 */
export const s3Error = (code: string, message: string, status: number, extra: Record<string, unknown> = {}) =>
  new AwsError(code, message, status, extra);

export const noSuchBucket = (bucket: string) =>
  s3Error('NoSuchBucket', 'The specified bucket does not exist', 404, { BucketName: bucket });
export const noSuchKey = (key: string) => s3Error('NoSuchKey', 'The specified key does not exist.', 404, { Key: key });
export const noSuchUpload = (uploadId: string) =>
  s3Error('NoSuchUpload', 'The specified upload does not exist. The upload ID may be invalid, or the upload may have been aborted or completed.', 404, { UploadId: uploadId });
export const invalidBucketName = (bucket: string) =>
  s3Error('InvalidBucketName', 'The specified bucket is not valid.', 400, { BucketName: bucket });
export const bucketNotEmpty = (bucket: string) =>
  s3Error('BucketNotEmpty', 'The bucket you tried to delete is not empty', 409, { BucketName: bucket });
export const bucketAlreadyOwnedByYou = (bucket: string) =>
  s3Error('BucketAlreadyOwnedByYou', 'Your previous request to create the named bucket succeeded and you already own it.', 409, { BucketName: bucket });
export const keyTooLong = () => s3Error('KeyTooLongError', 'Your key is too long', 400);
export const invalidPart = () =>
  s3Error('InvalidPart', 'One or more of the specified parts could not be found.  The part may not have been uploaded, or the specified entity tag may not match the part\'s entity tag.', 400);
export const invalidPartOrder = () =>
  s3Error('InvalidPartOrder', 'The list of parts was not in ascending order. Parts must be ordered by part number.', 400);
export const entityTooSmall = () => s3Error('EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed object size.', 400);
export const preconditionFailed = (condition: string) =>
  s3Error('PreconditionFailed', 'At least one of the pre-conditions you specified did not hold', 412, { Condition: condition });
