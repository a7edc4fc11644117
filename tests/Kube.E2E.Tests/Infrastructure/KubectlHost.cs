namespace Kube.E2E.Tests.Infrastructure;

/// <summary>
/// The fixture of a test class that drives its own <c>kube-host up</c> with kubectl: a temp dir (<see cref="Dir"/>), the
/// host with its data under it, and kubectl on the host's admin kubeconfig with the discovery cache <see cref="CacheDir"/>.
/// Start it in [ClassInitialize] and stop it in [ClassCleanup]; when kubectl is missing nothing starts and every test
/// reports Inconclusive through <see cref="KubectlRunner.RequireInstalled"/>.
/// </summary>
internal sealed class KubectlHost : IAsyncDisposable
{
    private KubectlHost(string dir, KubeHostProcess host)
    {
        Dir = dir;
        Host = host;
        Kubectl = new Kubectl(host.Kubeconfig, CacheDir);
    }

    public string Dir { get; }

    public KubeHostProcess Host { get; }

    public Kubectl Kubectl { get; }

    public string CacheDir => Path.Combine(Dir, "kubecache");

    /// <summary>Starts <c>kube-host up EXTRAARGS</c> in a new temp dir <c>kube-e2e-NAME-*</c>; null when kubectl is not installed.</summary>
    public static async Task<KubectlHost?> StartAsync(string name, string extraArgs = "")
    {
        if (Kubectl.Path is null)
        {
            return null;
        }

        var dir = Directory.CreateTempSubdirectory($"kube-e2e-{name}-").FullName;
        try
        {
            return new KubectlHost(dir, await KubeHostProcess.StartAsync(Path.Combine(dir, "data"), extraArgs: extraArgs));
        }
        catch
        {
            TempDirs.TryDelete(dir);
            throw;
        }
    }

    /// <summary>Stops the host (if it started) and deletes the temp dir.</summary>
    public static async Task StopAsync(KubectlHost? host)
    {
        if (host is not null)
        {
            await host.DisposeAsync();
        }
    }

    /// <summary>Writes <paramref name="content"/> to <paramref name="name"/> in the temp dir and returns its path.</summary>
    public async Task<string> WriteFileAsync(string name, string content)
    {
        var file = Path.Combine(Dir, name);
        await File.WriteAllTextAsync(file, content);
        return file;
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        TempDirs.TryDelete(Dir);
    }
}
