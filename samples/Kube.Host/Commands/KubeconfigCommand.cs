using System.CommandLine;
using Kube.ApiServer.Security;
using Kube.Host.Cluster;

namespace Kube.Host.Commands;

/// <summary>
/// <c>kube-host kubeconfig --data-dir DIR (--node NAME | --user NAME [--group G]...) [--server URL] [--out FILE]</c>:
/// issues a client certificate from the cluster CA in DIR/pki (like <c>kubeadm kubeconfig user</c>) and writes a
/// kubeconfig (mode 0600) for it: for <c>kube-host node</c> processes (CN=system:node:NAME, O=system:nodes) or any user.
/// </summary>
internal static class KubeconfigCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "The data directory of the `kube-host up` whose CA issues the certificate.", DefaultValueFactory = _ => "./.kube-host" };
        var node = new Option<string?>("--node") { Description = "Issue a node identity: CN=system:node:NAME, O=system:nodes (for `kube-host node --name NAME`)." };
        var user = new Option<string?>("--user") { Description = "Issue a certificate for this user (the CN)." };
        var groups = new Option<string[]>("--group") { Description = "A group (an O) of --user; repeatable.", AllowMultipleArgumentsPerToken = false, DefaultValueFactory = _ => [] };
        var server = new Option<string?>("--server") { Description = "The API server URL (default: the server in DIR/kubeconfig, else https://127.0.0.1:6443)." };
        var output = new Option<string?>("--out") { Description = "Where to write the kubeconfig (default DIR/<node-NAME|user-NAME>.kubeconfig)." };
        var cmd = new Command("kubeconfig", "Issue a client certificate from the cluster CA and write a kubeconfig for it.") { dataDir, node, user, groups, server, output };
        cmd.Validators.Add(r =>
        {
            if ((r.GetValue(node) is null) == (r.GetValue(user) is null)) r.AddError("give exactly one of --node or --user.");
        });
        cmd.SetAction(async (parse, ct) =>
        {
            var dir = Path.GetFullPath(parse.GetValue(dataDir)!);
            var pkiDir = Path.Combine(dir, "pki");
            if (!File.Exists(Path.Combine(pkiDir, "ca.crt")) || !File.Exists(Path.Combine(pkiDir, "ca.key")))
            {
                await Console.Error.WriteLineAsync($"kube-host kubeconfig: no cluster CA in {pkiDir}: run `kube-host up --data-dir {dir}` first");
                return 1;
            }
            var pki = ClusterPki.CreateOrLoad(pkiDir);
            var nodeName = parse.GetValue(node);
            // A node also gets its kubelet serving certificate (DATA/pki/kubelet-<node>.crt/.key) for `kube-host node --tls-cert-file`.
            if (nodeName is not null) _ = pki.KubeletServingCertificate(nodeName);
            var (fileName, cert, userName) = nodeName is not null
                ? ("node-" + nodeName, pki.NodeCertificate(nodeName), "system:node:" + nodeName)
                : ("user-" + FileNameOf(parse.GetValue(user)!), pki.ClientCertificate("user-" + FileNameOf(parse.GetValue(user)!), parse.GetValue(user)!, parse.GetValue(groups) ?? []), parse.GetValue(user)!);
            var url = parse.GetValue(server) ?? ServerOf(Path.Combine(dir, "kubeconfig")) ?? "https://127.0.0.1:6443";
            if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "https")
            {
                await Console.Error.WriteLineAsync($"kube-host kubeconfig: --server {url} is not an https URL");
                return 1;
            }
            var path = Path.GetFullPath(parse.GetValue(output) ?? Path.Combine(dir, fileName + ".kubeconfig"));
            Kubeconfig.WriteFor(path, uri, pki, cert, userName, nodeName is null ? "default" : null);
            Console.Out.WriteLine(path);
            return 0;
        });
        return cmd;
    }

    private static string FileNameOf(string user) => string.Concat(user.Select(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_' ? c : '_'));

    private static string? ServerOf(string kubeconfig)
    {
        if (!File.Exists(kubeconfig)) return null;
        foreach (var line in File.ReadLines(kubeconfig))
        {
            var t = line.Trim();
            if (t.StartsWith("server:", StringComparison.Ordinal)) return t["server:".Length..].Trim();
        }
        return null;
    }
}
