namespace Kube.Host.Cluster;

/// <summary>Writes the admin kubeconfig that kubectl 1.32 uses as it is.</summary>
internal static class Kubeconfig
{
    public static async Task<string> WriteAsync(string dataDir, Uri server, CancellationToken ct)
    {
        var path = Path.Combine(dataDir, "kubeconfig");
        var token = await AdminTokenAsync(dataDir, ct);
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
              user:
                token: {token}
            """;
        var tmp = path + ".tmp";
        await File.WriteAllTextAsync(tmp, text + "\n", ct);
        File.Move(tmp, path, overwrite: true);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return path;
    }

    /// <summary>
    /// The admin's bearer token, generated once per data dir (mode 0600). KubernetesClient refuses a kubeconfig user
    /// without credentials, so the kubeconfig always carries one. The API server does not check it yet: authentication
    /// (client certificates, token files) comes with the security work.
    /// </summary>
    private static async Task<string> AdminTokenAsync(string dataDir, CancellationToken ct)
    {
        var file = Path.Combine(dataDir, "admin-token");
        if (File.Exists(file))
        {
            var existing = (await File.ReadAllTextAsync(file, ct)).Trim();
            if (existing.Length > 0) return existing;
        }
        var token = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        await File.WriteAllTextAsync(file, token + "\n", ct);
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        return token;
    }
}
