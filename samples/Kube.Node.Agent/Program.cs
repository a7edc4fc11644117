using System.CommandLine;
using Kube.Host.Commands;

// kube-node: one node agent joining an existing cluster, as kube-host node does (same flags, same agent), compiled ahead of time.
var root = NodeCommand.Configure(new RootCommand("kube-node: a Kube SDK node agent (the kubelet's role) joining an existing cluster."), "kube-node");
// The generic host owns SIGINT/SIGTERM (graceful shutdown of pods); System.CommandLine must not cut it short.
return await root.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
