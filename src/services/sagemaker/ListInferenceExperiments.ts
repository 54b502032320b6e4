import type { OpContext } from '../context.js';
import { listQuery, pageToken, type ListInput } from './common.js';
import { EXPERIMENT_KIND, summarizeExperiment, type ExperimentRecord } from '../../domain/experiments/experiment.js';

/**
 * ListInferenceExperimentsResponse: `InferenceExperiments` (InferenceExperimentSummary) and
 * `NextToken`. NameContains, StatusEquals, the time ranges, SortBy Name | CreationTime |
 * Status and paging come from the shared List* query (AWS defaults: CreationTime,
 * Descending, 10 per page). `Type` can only be ShadowMode (the model's only enum value),
 * which every experiment is, so it filters nothing out.
 */
export async function ListInferenceExperiments(ctx: OpContext, input: ListInput & { Type?: 'ShadowMode' }) {
  const q = listQuery(input);
  const page = await ctx.store.list<ExperimentRecord>(ctx, EXPERIMENT_KIND, q);
  return {
    InferenceExperiments: page.items.filter((r) => !input.Type || r.data.Type === input.Type).map((r) => summarizeExperiment(r.data)),
    ...pageToken(q, page.next),
  };
}
