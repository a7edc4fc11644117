using System.Security.Cryptography.X509Certificates;
using System.Text;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// Secrets encrypted at rest in a real etcd (read back raw with etcdctl), and the cluster PKI kube-host keeps in its
/// data dir: owner-only key files, the serving certificate's names, and the same CA and keys after a restart.
/// </summary>
[TestClass]
public sealed class SecurityAtRestTests
{
    [TestMethod]
    public async Task Secret_IsEncryptedAtRest_InEtcd_AsEtcdctlShows()
    {
        Kubectl.RequireInstalled();
        if (!File.Exists("/usr/bin/etcd") || !File.Exists("/usr/bin/etcdctl")) Assert.Inconclusive("etcd and etcdctl are needed: apt-get install -y etcd-server etcd-client");
        var dir = Directory.CreateTempSubdirectory("kube-e2e-etcd-enc-").FullName;
        var client = KubeHostProcess.FreePort();
        var peer = KubeHostProcess.FreePort();
        var encryption = Path.Combine(dir, "encryption.yaml");
        await File.WriteAllTextAsync(encryption, SecurityE2ETests.EncryptionConfig());
        await using var etcd = LiveProcess.Start("/usr/bin/etcd",
        [
            "--name", "e1", "--data-dir", Path.Combine(dir, "etcd"),
            "--listen-client-urls", $"http://127.0.0.1:{client}", "--advertise-client-urls", $"http://127.0.0.1:{client}",
            "--listen-peer-urls", $"http://127.0.0.1:{peer}", "--initial-advertise-peer-urls", $"http://127.0.0.1:{peer}",
            "--initial-cluster", $"e1=http://127.0.0.1:{peer}",
        ]);
        var env = new Dictionary<string, string> { ["ETCDCTL_API"] = "3" };
        Task<(int ExitCode, string Stdout, string Stderr)> Etcdctl(params string[] args) =>
            ToolProcess.RunAsync("/usr/bin/etcdctl", [$"--endpoints=127.0.0.1:{client}", "--dial-timeout=2s", .. args], env);
        try
        {
            Assert.IsTrue(await Wait.UntilAsync(async () => (await Etcdctl("endpoint", "health")).ExitCode == 0, TimeSpan.FromSeconds(30)),
                "etcd never became healthy:\n" + etcd.Stderr);
            await using var host = await KubeHostProcess.StartAsync(Path.Combine(dir, "data"),
                extraArgs: $"--nodes 0 --etcd-servers http://127.0.0.1:{client} --encryption-provider-config {encryption}");
            var k = new Kubectl(host.Kubeconfig, Path.Combine(dir, "cache"));
            var marker = "etcd-plaintext-" + Guid.NewGuid().ToString("N");
            await k.OkAsync("create namespace enc");
            await k.OkAsync($"create secret generic s1 -n enc --from-literal=password={marker}");
            var back = (await k.OkAsync("get secret s1 -n enc -o jsonpath={.data.password}")).Trim();
            Assert.AreEqual(marker, Encoding.UTF8.GetString(Convert.FromBase64String(back)));

            var raw = await Etcdctl("get", "/registry/secrets/enc/s1", "--print-value-only");
            Assert.AreEqual(0, raw.ExitCode, raw.Stderr);
            StringAssert.StartsWith(raw.Stdout, "k8s:enc:aesgcm:v1:key1:", "the raw value in etcd: " + raw.Stdout[..Math.Min(80, raw.Stdout.Length)]);
            Assert.IsFalse(raw.Stdout.Contains(marker, StringComparison.Ordinal), "plaintext in etcd");
            Assert.IsFalse(raw.Stdout.Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(marker)), StringComparison.Ordinal), "base64 plaintext in etcd");

            // other resources stay readable JSON, as upstream (only the configured resources are encrypted)
            await k.OkAsync("create configmap c1 -n enc --from-literal=k=v");
            StringAssert.Contains((await Etcdctl("get", "/registry/configmaps/enc/c1", "--print-value-only")).Stdout, "\"c1\"");
        }
        finally
        {
            etcd.Kill();
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }

    [TestMethod]
    public async Task Restart_ReusesTheCaAndKeys_WhichAreOwnerOnly()
    {
        Kubectl.RequireInstalled();
        var dir = Directory.CreateTempSubdirectory("kube-e2e-pki-").FullName;
        var data = Path.Combine(dir, "data");
        var pki = Path.Combine(data, "pki");
        try
        {
            var port = KubeHostProcess.FreePort();
            byte[] ca, sa, apiserver;
            string firstKubeconfig = Path.Combine(dir, "first.kubeconfig");
            await using (var host = await KubeHostProcess.StartAsync(data, port, "--nodes 0"))
            {
                Assert.AreEqual(Path.Combine(data, "kubeconfig"), host.Kubeconfig);
                File.Copy(host.Kubeconfig, firstKubeconfig);
                ca = await File.ReadAllBytesAsync(Path.Combine(pki, "ca.crt"));
                sa = await File.ReadAllBytesAsync(Path.Combine(pki, "sa.key"));
                apiserver = await File.ReadAllBytesAsync(Path.Combine(pki, "apiserver.crt"));
                StringAssert.StartsWith(KubeconfigFiles.Server(host.Kubeconfig), "https://127.0.0.1:");

                if (!OperatingSystem.IsWindows())
                {
                    const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
                    foreach (var key in Directory.EnumerateFiles(pki, "*.key").Append(host.Kubeconfig))
                        Assert.AreEqual(OwnerOnly, File.GetUnixFileMode(key), key);
                    Assert.AreEqual(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(pki));
                }

                using var serving = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(apiserver));
                foreach (var name in new[] { "127.0.0.1", "localhost", System.Net.Dns.GetHostName(), "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                             "kubernetes.default.svc.cluster.local", "127.10.0.1" })
                    Assert.IsTrue(serving.MatchesHostname(name, allowWildcards: false, allowCommonName: false), "serving certificate lacks SAN " + name);
                using var admin = X509Certificate2.CreateFromPem(Encoding.ASCII.GetString(await File.ReadAllBytesAsync(Path.Combine(pki, "admin.crt"))));
                StringAssert.Contains(admin.Subject, "O=system:masters");

                var whoami = await new Kubectl(host.Kubeconfig, Path.Combine(dir, "cache")).OkAsync("auth whoami");
                StringAssert.Contains(whoami, "system:masters");
                Assert.IsTrue(await host.StopAsync(TimeSpan.FromSeconds(40)), host.Log);
            }

            await using (var host = await KubeHostProcess.StartAsync(data, port, "--nodes 0"))
            {
                CollectionAssert.AreEqual(ca, await File.ReadAllBytesAsync(Path.Combine(pki, "ca.crt")), "the CA changed on restart");
                CollectionAssert.AreEqual(sa, await File.ReadAllBytesAsync(Path.Combine(pki, "sa.key")), "the ServiceAccount key changed on restart");
                CollectionAssert.AreEqual(apiserver, await File.ReadAllBytesAsync(Path.Combine(pki, "apiserver.crt")), "the serving certificate changed on restart");
                // the kubeconfig of the first run still works
                await new Kubectl(firstKubeconfig, Path.Combine(dir, "cache")).OkAsync("get namespaces");
            }
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }
    }
}
