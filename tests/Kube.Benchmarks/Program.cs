using Kube.Benchmarks;

// kube-benchmarks serve --data-dir DIR --port PORT   : one store member serving etcd's API on 127.0.0.1:PORT
// kube-benchmarks store [--seconds N] [--etcd]       : put/range throughput, embedded and over gRPC (and a real etcd with --etcd)
return args.FirstOrDefault() switch
{
    "serve" => await StoreServer.RunAsync(args[1..]),
    "store" => await StoreBenchmark.RunAsync(args[1..]),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: kube-benchmarks serve --data-dir DIR --port PORT | store [--seconds N] [--etcd]");
    return 2;
}
