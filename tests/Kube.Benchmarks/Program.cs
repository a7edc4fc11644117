using Kube.Benchmarks;

// kube-benchmarks serve --data-dir DIR --port PORT   : one store member serving etcd's API on 127.0.0.1:PORT
// kube-benchmarks store [--seconds N] [--max-ops N] [--watchers N] [--only ROW-SUBSTRING] [--gc-server 1|0]
//     : the table: a real etcd and our member (separate process), same gRPC client, same workloads; ratio ours/etcd
// kube-benchmarks scheduler [--scale F] [--timeout-seconds N] [--only WORKLOAD] [--events off] [--cycles N] [--preemption-cycles N] [--gc server|server-nodatas|workstation]
//     [--async-preemption off] [--pop-from-backoff off]
//     : scheduler_perf-like workloads against the in-process API server and store; pods/s (upstream SchedulingThroughput), p50/p99 attempt latency, CPU-ms and KB per pod; --cycles N: the scheduling cycle alone
// kube-benchmarks apiserver [--kubeconfig FILE] [--creates N] [--list-pods N] [--watchers N] [--rate N] [--watch-seconds N] [--only creates,lists,watch]
//     : the API server through KubernetesClient over HTTP(S): creates/s + p50/p99 (1 and 32 clients), list 10k pods, watch fan-out
// kube-benchmarks podstartup [--pods N] [--batch N] [--runtime process,simulated] [--idle-seconds N] [--settle-seconds N] [--agent embedded,jit,aot] [--reuse-build]
//     : the node agent (own process) starting pods: create -> Running / Ready p50/p99, agent CPU and RSS at 110 idle pods
return args.FirstOrDefault() switch
{
    "serve" => await StoreServer.RunAsync(args[1..]),
    "store" => await StoreBenchmark.RunAsync(args[1..]),
    "scheduler" => await Kube.Benchmarks.Scheduler.SchedulerBenchmark.RunAsync(args[1..]),
    "apiserver" => await ApiServerBenchmark.RunAsync(args[1..]),
    "podstartup" => await PodStartupBenchmark.RunAsync(args[1..]),
    "podstartup-agent" => await PodStartupAgent.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: kube-benchmarks serve --data-dir DIR --port PORT | store [--seconds N] [--max-ops N] [--watchers N] [--only ROW] [--gc-server 1|0] | scheduler [--scale F] [--timeout-seconds N] [--only WORKLOAD] [--events off] [--cycles N] [--preemption-cycles N] [--async-preemption off] [--pop-from-backoff off] [--gc server|server-nodatas|workstation] | apiserver [--kubeconfig FILE] [--creates N] [--list-pods N] [--watchers N] [--rate N] [--watch-seconds N] [--only creates,lists,watch] | podstartup [--pods N] [--batch N] [--runtime process,simulated] [--idle-seconds N] [--settle-seconds N] [--agent embedded,jit,aot] [--reuse-build]");
    return 2;
}
