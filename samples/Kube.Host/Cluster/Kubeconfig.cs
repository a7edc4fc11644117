namespace Kube.Host.Cluster;

/// <summary>Writes the admin kubeconfig that kubectl 1.32 uses as it is.</summary>
internal static class Kubeconfig
{
    public static async Task<string> WriteAsync(string dataDir, Uri server, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "kubeconfig");
        var text = $"""
            apiVersion: v1
            kind: Config
            clusters:
            - name: kube-host
              cluster:
                server: {server.GetLeftPart(UriPartial.Authority)}
            contexts:
            - name: kube-host
              context:
                cluster: kube-host
                user: admin
                namespace: default
            current-context: kube-host
            users:
            - name: admin
              user: {"{}"}
            """;
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, text + "\n", ct);
        File.Move(tmp, path, overwrite: true);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }
}
