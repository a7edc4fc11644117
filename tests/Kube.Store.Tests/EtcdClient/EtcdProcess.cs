using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Net.Client;
using V3 = Kube.Store.Etcd.Protocol;

namespace Kube.Store.Tests.EtcdClient;

/// <summary>A real etcd (/usr/bin/etcd) on free loopback ports with a temporary data dir; killed and cleaned up on dispose.</summary>
internal sealed class EtcdProcess : IAsyncDisposable
{
    public const string InstallHint = "etcd is not installed: apt-get update && apt-get install -y etcd-server";

    private readonly Process _process;
    private readonly System.Text.StringBuilder _log = new();

    private EtcdProcess(Process process, string dataDir, int clientPort)
    {
        _process = process;
        DataDir = dataDir;
        ClientPort = clientPort;
    }

    public string DataDir { get; }

    public int ClientPort { get; }

    /// <summary>http://127.0.0.1:PORT</summary>
    public string ClientUrl => $"http://127.0.0.1:{ClientPort}";

    /// <summary>127.0.0.1:PORT, as etcdctl's --endpoints wants it.</summary>
    public string Endpoint => $"127.0.0.1:{ClientPort}";

    public string Log
    {
        get
        {
            lock (_log)
            {
                return _log.ToString();
            }
        }
    }

    public static string? Find(string name)
    {
        foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Append("/usr/bin"))
        {
            var candidate = Path.Combine(dir, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }
        return null;
    }

    /// <summary>Starts etcd and waits (up to 60 s) until it serves a linearizable read; null when etcd is not installed.</summary>
    public static async Task<EtcdProcess?> StartAsync()
    {
        var etcd = Find("etcd");
        if (etcd is null)
        {
            return null;
        }
        var dataDir = Path.Combine(Path.GetTempPath(), "kube-store-tests", "etcd-" + Guid.NewGuid().ToString("N"));
        int client = FreePort(), peer = FreePort();
        var psi = new ProcessStartInfo(etcd) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[]
        {
            "--name", "test", "--data-dir", dataDir,
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"test=http://127.0.0.1:{peer}",
        })
        {
            psi.ArgumentList.Add(a);
        }
        var process = Process.Start(psi)!;
        var started = new EtcdProcess(process, dataDir, client);
        process.OutputDataReceived += (_, e) => started.Append(e.Data);
        process.ErrorDataReceived += (_, e) => started.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            using var channel = GrpcChannel.ForAddress(started.ClientUrl);
            var kv = new V3.KV.KVClient(channel);
            var deadline = Stopwatch.StartNew();
            while (true)
            {
                try
                {
                    await kv.RangeAsync(new V3.RangeRequest { Key = ByteString.CopyFromUtf8("health") }, deadline: DateTime.UtcNow.AddSeconds(5));
                    return started;
                }
                catch (Grpc.Core.RpcException) when (deadline.Elapsed < TimeSpan.FromSeconds(60) && !process.HasExited)
                {
                    await Task.Delay(100);
                }
            }
        }
        catch (Exception ex)
        {
            var log = started.Log;
            await started.DisposeAsync();
            throw new InvalidOperationException("etcd did not start: " + log, ex);
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }
        lock (_log)
        {
            if (_log.Length < 64 * 1024)
            {
                _log.AppendLine(line);
            }
        }
    }

    public static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _process.WaitForExitAsync(cts.Token);
        }
        catch (InvalidOperationException)
        {
        }
        _process.Dispose();
        try
        {
            Directory.Delete(DataDir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
