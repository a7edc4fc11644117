using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Google.Protobuf;
using Grpc.Core;
using Grpc.Net.Client;
using Kube.Store;
using V3 = Kube.Store.Etcd.Protocol;
using static Kube.Store.Tests.StoreTestContext;

namespace Kube.Store.Tests.Wal;

/// <summary>Acknowledged means durable: a store member in its own process, killed with SIGKILL in the middle of writes.</summary>
[TestClass]
public sealed class KillTests
{
    [TestMethod]
    public async Task AcknowledgedPuts_SurviveKillDash9_OfTheServerProcess()
    {
        // tests/Kube.Store.Tests/bin/<Configuration>/<tfm>/ -> tests/Kube.Benchmarks/bin/<Configuration>/<tfm>/Kube.Benchmarks.dll
        var baseDir = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var tfm = baseDir.Name;
        var configuration = baseDir.Parent!.Name;
        var server = Path.Combine(baseDir.Parent!.Parent!.Parent!.Parent!.FullName, "Kube.Benchmarks", "bin", configuration, tfm, "Kube.Benchmarks.dll");
        if (!File.Exists(server))
        {
            Assert.Inconclusive($"The store member executable is missing; build it: dotnet build tests/Kube.Benchmarks -c {configuration}");
        }
        await using var ctx = new StoreTestContext();
        var dataDir = Path.Combine(ctx.DataDir, "member");
        var port = FreePort();
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { server, "serve", "--data-dir", dataDir, "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture) })
        {
            psi.ArgumentList.Add(a);
        }
        using var process = Process.Start(psi)!;
        var started = new TaskCompletionSource();
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("serving", StringComparison.Ordinal) == true)
            {
                started.TrySetResult();
            }
        };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        var acked = new ConcurrentBag<string>();
        try
        {
            await started.Task.WaitAsync(TimeSpan.FromSeconds(60));
            using var channel = GrpcChannel.ForAddress($"http://127.0.0.1:{port}");
            var kv = new V3.KV.KVClient(channel);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            var writers = Enumerable.Range(0, 16).Select(w => Task.Run(async () =>
            {
                for (var i = 0; i < 100_000 && !stop.IsCancellationRequested; i++)
                {
                    var key = $"/kill/{w:D2}/{i:D6}";
                    try
                    {
                        await kv.PutAsync(new V3.PutRequest { Key = ByteString.CopyFromUtf8(key), Value = ByteString.CopyFromUtf8(key) },
                            deadline: DateTime.UtcNow.AddSeconds(10));
                    }
                    catch (RpcException)
                    {
                        return; // the server died: this put may or may not have happened; it was not acknowledged
                    }
                    acked.Add(key);
                }
            })).ToArray();
            await WaitUntilAsync(() => Task.FromResult(acked.Count >= 500), TimeSpan.FromSeconds(60), "500 acknowledged puts");
            process.Kill(entireProcessTree: true); // SIGKILL, mid-write
            await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            await Task.WhenAll(writers).WaitAsync(TimeSpan.FromSeconds(30));
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }

        await using var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dataDir });
        var present = (await store.RangeAsync(new RangeRequest(B("/kill/")) { RangeEnd = B("/kill0"), KeysOnly = true })).Kvs
            .Select(kv => S(kv.Key)).ToHashSet();
        var lost = acked.Where(k => !present.Contains(k)).ToList();
        Assert.AreEqual(0, lost.Count, $"{lost.Count} of {acked.Count} acknowledged puts were lost, e.g. {lost.FirstOrDefault()}");
        Assert.IsTrue(present.Count >= acked.Count);
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
