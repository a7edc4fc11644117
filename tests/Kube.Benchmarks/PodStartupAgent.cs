using System.Globalization;
using k8s;
using Kube.Core.Client;
using Kube.Core.Informers;
using Kube.Node.Agent;
using Kube.Node.Runtime;
using Kube.Node.Runtime.Process;
using Kube.Node.Runtime.Simulated;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Kube.Benchmarks;

/// <summary>The podstartup benchmark's node agent, as its own process: <c>podstartup-agent --server URL --data-dir DIR --runtime R</c>; ends when stdin closes.</summary>
internal static class PodStartupAgent
{
    public static async Task<int> RunAsync(string[] args)
    {
        string Arg(string name) => args[Array.IndexOf(args, name) + 1];
        var client = HttpKubeClient.FromConfig(new KubernetesClientConfiguration { Host = Arg("--server") });
        var options = new NodeAgentOptions { NodeName = "bench-node", DataDir = Arg("--data-dir"), NodeIndex = 1, PodCidr = "127.1.1.0/24", Runtime = Arg("--runtime") };
        // PODSTARTUP_AGENT_LOG=1: the agent's log on stderr with millisecond timestamps, to see where a pod's start goes.
        using var loggers = Environment.GetEnvironmentVariable("PODSTARTUP_AGENT_LOG") is { Length: > 0 }
            ? LoggerFactory.Create(b => b.AddSimpleConsole(c => { c.SingleLine = true; c.TimestampFormat = "HH:mm:ss.fff "; }).SetMinimumLevel(LogLevel.Debug))
            : NullLoggerFactory.Instance;
        IContainerRuntime runtime = options.Runtime == "simulated"
            ? new SimulatedRuntime(options.PodCidr)
            : new ProcessRuntime(new ProcessRuntimeOptions { DataDir = Path.Combine(options.DataDir, "runtime"), PodCidr = options.PodCidr }, TimeProvider.System, loggers.CreateLogger<ProcessRuntime>());
        var factory = new SharedInformerFactory(client);
        await using var agent = new NodeAgent(options, client, factory, runtime, TimeProvider.System, loggers);
        using var cts = new CancellationTokenSource();
        factory.Start(cts.Token);
        await agent.StartAsync(CancellationToken.None);
        // The parent holds our stdin: end when it closes it or dies; a "memory" line asks for where the memory goes.
        while (await Console.In.ReadLineAsync() is { } line)
        {
            if (line == "memory")
            {
                Console.Error.WriteLine(MemoryReport());
            }
        }

        await agent.StopAsync(CancellationToken.None);
        await cts.CancelAsync();
        Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"podstartup-agent: stopped"));
        return 0;
    }

    /// <summary>The GC's view of this process (heap, committed, fragmentation), its threads and the JIT's work so far.</summary>
    private static string MemoryReport()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var info = GC.GetGCMemoryInfo();
        const double MiB = 1024 * 1024;
        return string.Create(CultureInfo.InvariantCulture,
            $"  agent GC: server={System.Runtime.GCSettings.IsServerGC} concurrent={AppContext.GetData("System.GC.Concurrent") ?? "default"} heap {info.HeapSizeBytes / MiB:F1} MiB, " +
            $"committed {info.TotalCommittedBytes / MiB:F1} MiB, fragmented {info.FragmentedBytes / MiB:F1} MiB, live {GC.GetTotalMemory(false) / MiB:F1} MiB; " +
            $"threads {System.Diagnostics.Process.GetCurrentProcess().Threads.Count}; JIT {System.Runtime.JitInfo.GetCompiledMethodCount()} methods, " +
            $"{System.Runtime.JitInfo.GetCompiledILBytes() / 1024} KiB IL; assemblies {AppDomain.CurrentDomain.GetAssemblies().Length}");
    }
}
