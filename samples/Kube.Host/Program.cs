using System.CommandLine;
using Kube.Host.Commands;

// kube-host: the reference host. One subcommand per role; `up` (the default) runs an all-in-one cluster.
var root = new RootCommand("kube-host: a Kubernetes cluster built from the Kube SDK packages.");
root.Subcommands.Add(UpCommand.Create());
root.Subcommands.Add(StoreCommand.Create());
root.Subcommands.Add(SnapshotCommand.Create());
root.Subcommands.Add(NodeCommand.Create());
root.Subcommands.Add(KubeconfigCommand.Create());

if (args.Length == 0) args = ["up"];
// The generic host owns SIGINT/SIGTERM (graceful shutdown of pods); System.CommandLine must not cut it short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
