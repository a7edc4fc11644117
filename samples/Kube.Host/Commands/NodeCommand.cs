using System.CommandLine;
using Kube.Node.Hosting;

namespace Kube.Host.Commands;

/// <summary>
/// <c>kube-host node --kubeconfig FILE --name NAME [--config KUBELET_CONFIG_FILE] [--data-dir DIR] [--runtime process|cri|simulated]</c>:
/// one node agent joining an existing cluster over HTTP, as its own process. With <c>--tls-cert-file</c>, <c>--tls-private-key-file</c>
/// and <c>--client-ca-file</c> (upstream kubelet's flags) its kubelet server serves HTTPS to client certificates of that CA only.
/// The same options make the root command of <c>kube-node</c> (samples/Kube.Node.Agent, compiled ahead of time), which
/// compiles this file too; the work is <see cref="NodeAgentHost"/>'s.
/// </summary>
internal static class NodeCommand
{
    public static Command Create() =>
        Configure(new Command("node", "Join an existing cluster as a node (the kubelet's role), as its own process."), "kube-host node");

    /// <summary>Adds the node agent's options, their validation and the action that runs <see cref="NodeAgentHost"/> to <paramref name="cmd"/>.</summary>
    public static Command Configure(Command cmd, string programName)
    {
        var kubeconfig = new Option<string>("--kubeconfig") { Description = "The kubeconfig file of the cluster to join.", Required = true };
        var name = new Option<string>("--name") { Description = "The Node's name.", Required = true };
        var config = new Option<string?>("--config") { Description = "A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) YAML file." };
        var dataDir = new Option<string?>("--data-dir") { Description = "Where pod directories, logs and state live (default <temp>/kube-node/<name>)." };
        var runtime = new Option<string>("--runtime") { Description = "The container runtime: process, cri or simulated.", DefaultValueFactory = _ => "process" };
        var tlsCert = new Option<string?>("--tls-cert-file") { Description = "The kubelet server's serving certificate (PEM); with --tls-private-key-file and --client-ca-file it serves HTTPS only (e.g. DATA/pki/kubelet-NAME.crt from `kube-host kubeconfig --node NAME`)." };
        var tlsKey = new Option<string?>("--tls-private-key-file") { Description = "The serving certificate's private key (PEM)." };
        var clientCa = new Option<string?>("--client-ca-file") { Description = "The CA (PEM) client certificates of the kubelet server must chain to; only the API server's kube-apiserver-kubelet-client and system:masters are served." };

        foreach (var option in new Option[] { kubeconfig, name, config, dataDir, runtime, tlsCert, tlsKey, clientCa })
        {
            cmd.Options.Add(option);
        }

        cmd.Validators.Add(r =>
        {
            var given = new[] { r.GetValue(tlsCert), r.GetValue(tlsKey), r.GetValue(clientCa) }.Count(v => v is not null);
            if (given is not (0 or 3)) r.AddError("give --tls-cert-file, --tls-private-key-file and --client-ca-file together.");
        });
        cmd.SetAction((parse, ct) => NodeAgentHost.RunAsync(new NodeAgentHostOptions
        {
            KubeconfigPath = parse.GetValue(kubeconfig)!,
            NodeName = parse.GetValue(name)!,
            ConfigPath = parse.GetValue(config),
            DataDir = parse.GetValue(dataDir),
            Runtime = parse.GetValue(runtime)!,
            TlsCertFile = parse.GetValue(tlsCert),
            TlsPrivateKeyFile = parse.GetValue(tlsKey),
            ClientCaFile = parse.GetValue(clientCa),
        }, programName, ct));
        return cmd;
    }
}
