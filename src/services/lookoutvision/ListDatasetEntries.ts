import type { Operation } from '../context.js';
import { decodeNext, encodeNext, getDataset } from './common.js';

interface Input {
  ProjectName: string;
  DatasetType: string;
  Labeled?: boolean;
  AnomalyClass?: 'normal' | 'anomaly';
  BeforeCreationDate?: number;
  AfterCreationDate?: number;
  NextToken?: string;
  MaxResults?: number;
  SourceRefContains?: string;
}

/** The dataset's JSON lines, filtered as the API documents, in source-ref order. */
export const ListDatasetEntries: Operation<Input> = async (ctx, input) => {
  const ds = await getDataset(ctx, input.ProjectName, input.DatasetType);
  const after = decodeNext('entries', input.NextToken);
  const before = input.BeforeCreationDate === undefined ? undefined : input.BeforeCreationDate * 1000;
  const since = input.AfterCreationDate === undefined ? undefined : input.AfterCreationDate * 1000;
  const matching = ds.data.entries
    .filter(
      (e) =>
        (input.Labeled === undefined || Boolean(e.cls) === input.Labeled) &&
        (input.AnomalyClass === undefined || e.cls === input.AnomalyClass) &&
        (before === undefined || e.created < before) &&
        (since === undefined || e.created > since) &&
        (input.SourceRefContains === undefined || e.ref.includes(input.SourceRefContains)) &&
        (after === undefined || e.ref > after),
    )
    .sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const limit = input.MaxResults ?? 100;
  const page = matching.slice(0, limit);
  return {
    DatasetEntries: page.map((e) => e.line),
    NextToken: matching.length > limit ? encodeNext('entries', page[page.length - 1].ref) : undefined,
  };
};
