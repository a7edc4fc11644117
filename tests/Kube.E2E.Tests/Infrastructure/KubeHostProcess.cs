using System.Diagnostics;
using System.Text;

namespace Kube.E2E.Tests.Infrastructure;

/// <summary>A real <c>kube-host up</c> process, started from the build output of samples/Kube.Host.</summary>
internal sealed class KubeHostProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();
    private readonly TaskCompletionSource<string> _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private KubeHostProcess(Process process, string dataDir, int apiPort)
    {
        _process = process;
        DataDir = dataDir;
        ApiPort = apiPort;
    }

    public string DataDir { get; }
    public int ApiPort { get; }
    public string Kubeconfig { get; private set; } = "";
    public int Pid => _process.Id;
    public bool HasExited => _process.HasExited;

    public string Log
    {
        get { lock (_log) return _log.ToString(); }
    }

    public static async Task<KubeHostProcess> StartAsync(string dataDir, int? apiPort = null, string extraArgs = "", TimeSpan? readyTimeout = null)
    {
        var port = apiPort ?? FreePort();
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(HostDll());
        psi.ArgumentList.Add("up");
        psi.ArgumentList.Add("--data-dir");
        psi.ArgumentList.Add(dataDir);
        psi.ArgumentList.Add("--api-port");
        psi.ArgumentList.Add(port.ToString());
        foreach (var a in extraArgs.Split(' ', StringSplitOptions.RemoveEmptyEntries)) psi.ArgumentList.Add(a);
        var host = new KubeHostProcess(Process.Start(psi)!, dataDir, port);
        host._process.OutputDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.ErrorDataReceived += (_, e) => host.OnLine(e.Data);
        host._process.BeginOutputReadLine();
        host._process.BeginErrorReadLine();
        host._process.EnableRaisingEvents = true;
        host._process.Exited += (_, _) => host._ready.TrySetException(new InvalidOperationException("kube-host exited before it was ready:\n" + host.Log));
        var timeout = readyTimeout ?? TimeSpan.FromSeconds(120);
        var done = await Task.WhenAny(host._ready.Task, Task.Delay(timeout));
        if (done != host._ready.Task)
        {
            await host.DisposeAsync();
            throw new TimeoutException($"kube-host printed no ready line in {timeout}:\n{host.Log}");
        }
        host.Kubeconfig = await host._ready.Task;
        return host;
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        lock (_log) _log.AppendLine(line);
        const string prefix = "kube-host ready: KUBECONFIG=";
        if (line.StartsWith(prefix, StringComparison.Ordinal)) _ready.TrySetResult(line[prefix.Length..].Trim());
    }

    /// <summary>Sends SIGTERM and waits for a clean exit; returns false if it had to be killed.</summary>
    public async Task<bool> StopAsync(TimeSpan timeout)
    {
        if (_process.HasExited) return true;
        Native.Kill(_process.Id, Native.SIGTERM);
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            _process.Kill(true);
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited) await StopAsync(TimeSpan.FromSeconds(45));
        _process.Dispose();
    }

    public static int FreePort() => Ports.Free();

    /// <summary>kube-host.dll from samples/Kube.Host's build output, in the configuration this test assembly was built in.</summary>
    public static string HostDll()
    {
        var config = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}") ? "Release" : "Debug";
        var dll = Path.Combine(RepoRoot(), "samples", "Kube.Host", "bin", config, "net10.0", "kube-host.dll");
        if (!File.Exists(dll)) throw new InvalidOperationException($"{dll} is missing: build samples/Kube.Host first");
        return dll;
    }

    /// <summary>The repository's root: the nearest folder above this test assembly that holds Kube.sln.</summary>
    public static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Kube.sln"))) dir = dir.Parent;
        return dir?.FullName ?? throw new InvalidOperationException("cannot find Kube.sln above " + AppContext.BaseDirectory);
    }
}
