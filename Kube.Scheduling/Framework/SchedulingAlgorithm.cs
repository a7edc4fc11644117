using k8s.Models;

namespace Kube.Scheduling.Framework;

/// <summary>
/// One scheduling attempt over a snapshot (upstream's schedulePod): PreFilter, Filter in parallel chunks until enough feasible
/// nodes are found (percentageOfNodesToScore), Score, and a random pick among the best. No I/O, no clock.
/// </summary>
public sealed class SchedulingAlgorithm
{
    private readonly SchedulerOptions _options;
    private readonly Random _random;
    private int _nextStartNodeIndex;

    public SchedulingAlgorithm(SchedulerOptions options, Random random)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(random);
        _options = options;
        _random = random;
    }

    /// <summary>How many feasible nodes to find before scoring, out of <paramref name="numAllNodes"/>.</summary>
    public static int NumFeasibleNodesToFind(int numAllNodes, int? percentageOfNodesToScore)
    {
        const int minFeasibleNodesToFind = 100;
        const int minFeasibleNodesPercentageToFind = 5;
        if (numAllNodes < minFeasibleNodesToFind || percentageOfNodesToScore >= 100) return numAllNodes;
        var pct = percentageOfNodesToScore ?? Math.Max(50 - (numAllNodes / 125), minFeasibleNodesPercentageToFind);
        var num = (int)((long)numAllNodes * pct / 100);
        return Math.Max(num, minFeasibleNodesToFind);
    }

    /// <summary>From this many nodes in one chunk on, Filter runs in parallel.</summary>
    internal const int ParallelFilterThreshold = 2048;

    public ScheduleResult Schedule(SchedulingFramework framework, CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes)
    {
        ArgumentNullException.ThrowIfNull(framework);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Count == 0) return new ScheduleResult { FailureMessage = FitError.NoNodesAvailable };

        var pre = framework.RunPreFilter(state, pod, nodes);
        if (!pre.IsSuccess)
        {
            var failed = nodes.ToDictionary(n => n.Name, _ => pre, StringComparer.Ordinal);
            return new ScheduleResult
            {
                NumAllNodes = nodes.Count,
                PreFilterStatus = pre,
                FailedNodes = failed,
                IsError = pre.Code == StatusCode.Error,
                FailureMessage = pre.Code == StatusCode.Error ? pre.Message : FitError.Message(nodes.Count, pre, failed),
            };
        }

        // A pod nominated to a node (after preemption) tries that node first, as upstream's evaluateNominatedNode; the
        // nomination may still be on its way to the pod's status, so the scheduler's own record counts too.
        var nominatedName = pod.Status?.NominatedNodeName is { Length: > 0 } fromStatus ? fromStatus
            : framework.Handle.Nominator is Internal.PodNominator { Count: > 0 } nominator ? nominator.NominatedNodeOf(pod.Metadata.Uid) : null;
        if (nominatedName is not null && nodes.FirstOrDefault(n => n.Name == nominatedName) is { } nominatedNode
            && framework.RunFilterWithNominatedPods(state, pod, nominatedNode).IsSuccess)
            return new ScheduleResult { SuggestedHost = nominatedName, EvaluatedNodes = 1, FeasibleNodes = 1, NumAllNodes = nodes.Count };

        // Filter in parallel, chunk by chunk in round-robin order from the last start, until enough feasible nodes are
        // found (upstream stops early too); statuses of nodes never filtered stay null. The array is rented: at 5,000
        // nodes a fresh one per cycle was 40 KB of garbage per pod.
        var statuses = System.Buffers.ArrayPool<Status?>.Shared.Rent(nodes.Count);
        try
        {
            return FilterAndScore(framework, state, pod, nodes, statuses);
        }
        finally
        {
            System.Buffers.ArrayPool<Status?>.Shared.Return(statuses, clearArray: true);
        }
    }

    private ScheduleResult FilterAndScore(SchedulingFramework framework, CycleState state, V1Pod pod, IReadOnlyList<NodeInfo> nodes, Status?[] statuses)
    {
        var start = _nextStartNodeIndex % nodes.Count;
        var want = NumFeasibleNodesToFind(nodes.Count, framework.PercentageOfNodesToScore ?? _options.PercentageOfNodesToScore);
        var feasible = new List<NodeInfo>();
        var failedNodes = new Dictionary<string, Status>(StringComparer.Ordinal);
        var evaluated = 0;
        // Upstream's 16 workers are goroutines; here they are threads, so no more than the cores (or the option, if lower).
        var degree = Math.Max(1, Math.Min(_options.Parallelism, SchedulingFramework.ParallelScoreDegree));
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = degree };
        while (evaluated < nodes.Count && feasible.Count < want)
        {
            var chunk = Math.Min(nodes.Count - evaluated, Math.Max(want - feasible.Count, 64));
            var offset = evaluated;
            // A Filter call costs about a microsecond, so a parallel loop pays only for thousands of nodes: below that its
            // start-up and the wait for the other workers (long on a busy machine) cost more than the filtering.
            if (chunk < ParallelFilterThreshold || parallel.MaxDegreeOfParallelism == 1)
            {
                for (var k = 0; k < chunk; k++)
                {
                    var i = (start + offset + k) % nodes.Count;
                    statuses[i] = framework.RunFilterWithNominatedPods(state, pod, nodes[i]);
                }
            }
            else
            {
                Parallel.For(0, chunk, parallel, k =>
                {
                    var i = (start + offset + k) % nodes.Count;
                    statuses[i] = framework.RunFilterWithNominatedPods(state, pod, nodes[i]);
                });
            }

            for (var k = 0; k < chunk && feasible.Count < want; k++)
            {
                var i = (start + offset + k) % nodes.Count;
                evaluated++;
                var s = statuses[i]!;
                if (s.IsSuccess) feasible.Add(nodes[i]);
                else if (s.Code == StatusCode.Error)
                    return new ScheduleResult { IsError = true, FailureMessage = $"running Filter plugin \"{s.Plugin}\": {s.Message}", EvaluatedNodes = evaluated, NumAllNodes = nodes.Count };
                else failedNodes[nodes[i].Name] = s;
            }
        }

        _nextStartNodeIndex = (start + evaluated) % nodes.Count;
        if (feasible.Count == 0)
        {
            // Every node was evaluated; report all of them. PostFilter (preemption) is the caller's next step.
            for (var i = 0; i < nodes.Count; i++)
                if (statuses[i] is { IsSuccess: false } s) failedNodes[nodes[i].Name] = s;
            return new ScheduleResult
            {
                EvaluatedNodes = nodes.Count,
                NumAllNodes = nodes.Count,
                FailedNodes = failedNodes,
                FailureMessage = FitError.Message(nodes.Count, null, failedNodes),
            };
        }

        if (feasible.Count == 1)
            return new ScheduleResult { SuggestedHost = feasible[0].Name, EvaluatedNodes = evaluated, FeasibleNodes = 1, FailedNodes = failedNodes, NumAllNodes = nodes.Count };

        var preScore = framework.RunPreScore(state, pod, feasible);
        if (!preScore.IsSuccess)
            return new ScheduleResult { IsError = true, FailureMessage = $"running PreScore plugin \"{preScore.Plugin}\": {preScore.Message}", EvaluatedNodes = evaluated, NumAllNodes = nodes.Count };
        var scores = framework.RunScoreTotals(state, pod, feasible, degree);
        return new ScheduleResult
        {
            SuggestedHost = SelectHost(feasible, scores),
            EvaluatedNodes = evaluated,
            FeasibleNodes = feasible.Count,
            FailedNodes = failedNodes,
            NumAllNodes = nodes.Count,
        };
    }

    /// <summary>The highest total score; ties are broken uniformly at random (reservoir sampling).</summary>
    private string SelectHost(List<NodeInfo> feasible, long[] scores)
    {
        string best = feasible[0].Name;
        var bestScore = long.MinValue;
        var ties = 0;
        for (var i = 0; i < feasible.Count; i++)
        {
            var n = feasible[i];
            var s = scores[i];
            if (s > bestScore)
            {
                bestScore = s;
                best = n.Name;
                ties = 1;
            }
            else if (s == bestScore && _random.Next(++ties) == 0)
            {
                best = n.Name;
            }
        }

        return best;
    }
}
