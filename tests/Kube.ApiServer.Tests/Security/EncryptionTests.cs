using System.Text;
using k8s.Models;
using Kube.ApiServer.Encryption;
using Kube.ApiServer.Security;
using Kube.Core.Admission;
using Kube.Store;

namespace Kube.ApiServer.Tests.Security;

/// <summary>Secrets encrypted at rest with upstream's EncryptionConfiguration and value prefixes; key rotation.</summary>
[TestClass]
public sealed class EncryptionTests
{
    private static string Config(params string[] providers) => $$"""
        apiVersion: apiserver.config.k8s.io/v1
        kind: EncryptionConfiguration
        resources:
          - resources:
              - secrets
            providers:
        {{string.Join("\n", providers)}}
        """;

    private const string Gcm = "      - aesgcm:\n          keys:\n            - name: k1\n              secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=";
    private const string Cbc = "      - aescbc:\n          keys:\n            - name: k2\n              secret: ZmVkY2JhOTg3NjU0MzIxMGZlZGNiYTk4NzY1NDMyMTA=";
    private const string Identity = "      - identity: {}";

    private static async Task<byte[]> RawAsync(IKeyValueStore store, string ns, string name) =>
        (await store.RangeAsync(new RangeRequest(Encoding.UTF8.GetBytes($"/registry/secrets/{ns}/{name}")))).Kvs.Single().Value;

    [TestMethod]
    public async Task Secrets_AreEncryptedAtRest_AndRotateByReorderingProviders()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-enc-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        try
        {
            var options = new ApiServerOptions { Port = 0, Security = new ApiServerSecurityOptions { EncryptionConfiguration = EncryptionConfiguration.Parse(Config(Gcm, Cbc, Identity)) } };
            await using (var server = await KubeApiServer.StartAsync(options, store))
            {
                var client = server.CreateClient(UserInfo.Admin);
                await client.CreateAsync(new V1Secret
                {
                    Metadata = new() { Name = "db", NamespaceProperty = "default" },
                    StringData = new Dictionary<string, string> { ["password"] = "hunter2-plaintext" },
                });
                await client.CreateAsync(new V1ConfigMap { Metadata = new() { Name = "cm", NamespaceProperty = "default" }, Data = new Dictionary<string, string> { ["a"] = "visible" } });
                var raw = await RawAsync(store, "default", "db");
                var text = Encoding.Latin1.GetString(raw);
                StringAssert.StartsWith(text, "k8s:enc:aesgcm:v1:k1:");
                Assert.IsFalse(text.Contains("aHVudGVyMi1wbGFpbnRleHQ", StringComparison.Ordinal) || text.Contains("hunter2", StringComparison.Ordinal), "no plaintext at rest");
                var cm = (await store.RangeAsync(new RangeRequest(Encoding.UTF8.GetBytes("/registry/configmaps/default/cm")))).Kvs.Single().Value;
                StringAssert.Contains(Encoding.UTF8.GetString(cm), "visible", "other resources are not encrypted");
                var read = await client.GetAsync<V1Secret>("db", "default");
                Assert.AreEqual("hunter2-plaintext", Encoding.UTF8.GetString(read.Data["password"]));
            }

            // rotation: the aescbc key first; the old aesgcm value still reads, and a rewrite re-encrypts it
            options.Security.EncryptionConfiguration = EncryptionConfiguration.Parse(Config(Cbc, Gcm));
            await using (var server = await KubeApiServer.StartAsync(options, store))
            {
                var client = server.CreateClient(UserInfo.Admin);
                var read = await client.GetAsync<V1Secret>("db", "default");
                Assert.AreEqual("hunter2-plaintext", Encoding.UTF8.GetString(read.Data["password"]));
                read.Metadata.Labels = new Dictionary<string, string> { ["rotated"] = "yes" };
                await client.UpdateAsync(read);
                StringAssert.StartsWith(Encoding.Latin1.GetString(await RawAsync(store, "default", "db")), "k8s:enc:aescbc:v1:k2:");
                Assert.AreEqual("hunter2-plaintext", Encoding.UTF8.GetString((await client.GetAsync<V1Secret>("db", "default")).Data["password"]));
            }
        }
        finally
        {
            await store.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }

    [TestMethod]
    public void Configuration_RefusesSecretboxAndBadKeys()
    {
        var secretbox = Config("      - secretbox:\n          keys:\n            - name: k\n              secret: MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=");
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => EncryptionConfiguration.Parse(secretbox)).Message, "secretbox is not supported");
        var shortKey = Config("      - aescbc:\n          keys:\n            - name: k\n              secret: c2hvcnQ=");
        Assert.ThrowsExactly<FormatException>(() => EncryptionConfiguration.Parse(shortKey));
        CollectionAssert.AreEqual(new[] { "secrets" }, EncryptionConfiguration.Parse(Config(Gcm)).Resources.ToArray());
    }
}
