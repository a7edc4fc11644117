using System.Globalization;
using Kube.Scheduling.Framework;
using Kube.Scheduling.Plugins.DefaultPreemption;

namespace Kube.Benchmarks.Scheduler;

/// <summary>
/// kube-benchmarks scheduler --preemption-cycles N [--scale F]: PreemptionBasic's scheduling cycles alone, without API
/// calls: PreemptionBasic's nodes (500 × scale) each hold four low-priority pods (assumed in the cache); N high-priority
/// pods then each run a failing Schedule over every node and DefaultPreemption's candidate search (dry runs) and
/// selection, and are nominated to the chosen node, as the scheduling loop does while the victims are being deleted.
/// Prints the process's CPU time and allocated bytes per cycle, the first and second half apart (nominations accumulate).
/// </summary>
internal static class PreemptionCycleBenchmark
{
    public static Task<int> RunAsync(int cycles, int nodes) => CycleBenchmark.WithSchedulerAsync(nodes, scheduler =>
    {
        var fwk = scheduler.Profiles["default-scheduler"];
        var start = DateTime.UtcNow;
        for (var i = 0; i < nodes * 4; i++)
        {
            var low = WithUid(SchedulerBenchmark.Pod($"low-{i}", PodShape.LowPriority));
            low.Metadata.CreationTimestamp = start.AddMilliseconds(i);
            scheduler.Cache.AssumePod(low, $"node-{i % nodes}");
        }

        var warmup = Math.Min(20, cycles);
        var high = Enumerable.Range(0, warmup + cycles).Select(i => WithUid(SchedulerBenchmark.Pod($"high-{i}", PodShape.HighPriority))).ToArray();
        var half = warmup + (cycles / 2);
        var cpu = new long[3];
        var alloc = new long[3];
        var nominated = 0;
        for (var i = 0; i < high.Length; i++)
        {
            var phase = i < warmup ? 0 : i < half ? 1 : 2;
            var t0 = ProcessCpuMicroseconds();
            var a0 = GC.GetTotalAllocatedBytes();
            var state = new CycleState();
            var snapshot = scheduler.Cache.Snapshot();
            var result = scheduler.Algorithm.Schedule(fwk, state, high[i], snapshot);
            if (result.SuggestedHost is not null) throw new InvalidOperationException("a high-priority pod fitted without preemption");
            var (candidates, _) = DefaultPreemptionPlugin.FindCandidates(fwk, state, high[i], snapshot, result.FailedNodes, [], new DefaultPreemptionArgs(), i * 7919);
            if (candidates.Count > 0)
            {
                fwk.Handle.Nominator.AddNominatedPod(high[i], DefaultPreemptionPlugin.SelectCandidate(candidates).NodeName);
                nominated++;
            }

            cpu[phase] += ProcessCpuMicroseconds() - t0;
            alloc[phase] += GC.GetTotalAllocatedBytes() - a0;
            if (i == warmup - 1)
            {
                // The warm-up's nominations are withdrawn: the measured cycles start from none.
                for (var j = 0; j <= i; j++) fwk.Handle.Nominator.DeleteNominatedPodIfExists(high[j]);
                nominated = 0;
            }
        }

        var first = half - warmup;
        var second = high.Length - half;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"preemption cycle over {nodes} nodes with {nodes * 4} low-priority pods, {cycles} cycles ({nominated} nominated): "
            + $"first {first}: {cpu[1] / (double)Math.Max(1, first):F0} CPU-µs/cycle, {alloc[1] / 1024.0 / Math.Max(1, first):F1} KB/cycle; "
            + $"last {second}: {cpu[2] / (double)Math.Max(1, second):F0} CPU-µs/cycle, {alloc[2] / 1024.0 / Math.Max(1, second):F1} KB/cycle (process)"));
    });

    private static k8s.Models.V1Pod WithUid(k8s.Models.V1Pod pod)
    {
        pod.Metadata.Uid = Guid.NewGuid().ToString();
        return pod;
    }

    /// <summary>The process's CPU time in µs (the dry runs run on several threads; nothing else runs meanwhile).</summary>
    private static long ProcessCpuMicroseconds() => (long)Environment.CpuUsage.TotalTime.TotalMicroseconds;
}
