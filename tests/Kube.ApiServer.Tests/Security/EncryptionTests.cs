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
    public void Configuration_RefusesBadKeys()
    {
        var shortKey = Config("      - aescbc:\n          keys:\n            - name: k\n              secret: c2hvcnQ=");
        Assert.ThrowsExactly<FormatException>(() => EncryptionConfiguration.Parse(shortKey));
        var shortBox = Config("      - secretbox:\n          keys:\n            - name: k\n              secret: MDEyMzQ1Njc4OWFiY2RlZg==");
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => EncryptionConfiguration.Parse(shortBox)).Message, "must be 32 bytes");
        StringAssert.Contains(Assert.ThrowsExactly<FormatException>(() => EncryptionConfiguration.Parse(Config("      - kms:\n          name: x"))).Message, "kms is not supported");
        CollectionAssert.AreEqual(new[] { "secrets" }, EncryptionConfiguration.Parse(Config(Gcm)).Resources.ToArray());
    }

    // The secretbox known-answer vector of the NaCl distribution (key, nonce, 131-byte message, 16-byte tag + ciphertext).
    private const string NaClKey = "1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389";
    private const string NaClNonce = "69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37";
    private const string NaClMessage = "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c61296cdc3c01233561f41db66cce314adb31"
        + "0e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1fde048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705";
    private const string NaClBox = "f3ffc7703f9400e52a7dfb4b3d3305d98e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972"
        + "71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5";

    private static string SecretboxConfig(string name, byte[] key) =>
        Config($"      - secretbox:\n          keys:\n            - name: {name}\n              secret: {Convert.ToBase64String(key)}");

    [TestMethod]
    public void Secretbox_ReadsUpstreamsFormat_WithNaClsKnownAnswerVector()
    {
        var provider = EncryptionConfiguration.Parse(SecretboxConfig("key1", Convert.FromHexString(NaClKey))).ByResource["secrets"][0];
        var storageKey = Encoding.UTF8.GetBytes("/registry/secrets/default/s");
        var stored = Encoding.ASCII.GetBytes("k8s:enc:secretbox:v1:key1:").Concat(Convert.FromHexString(NaClNonce)).Concat(Convert.FromHexString(NaClBox)).ToArray();
        CollectionAssert.AreEqual(Convert.FromHexString(NaClMessage), provider.TryDecrypt(stored, storageKey));

        var sealed1 = provider.Encrypt(Convert.FromHexString(NaClMessage), storageKey);
        var sealed2 = provider.Encrypt(Convert.FromHexString(NaClMessage), storageKey);
        StringAssert.StartsWith(Encoding.Latin1.GetString(sealed1), "k8s:enc:secretbox:v1:key1:");
        Assert.AreEqual("k8s:enc:secretbox:v1:key1:".Length + 24 + 16 + NaClMessage.Length / 2, sealed1.Length, "prefix + 24-byte nonce + tag + ciphertext");
        CollectionAssert.AreNotEqual(sealed1, sealed2, "a fresh random nonce each time");
        CollectionAssert.AreEqual(Convert.FromHexString(NaClMessage), provider.TryDecrypt(sealed1, storageKey));

        sealed1[^1] ^= 1;
        Assert.ThrowsExactly<System.Security.Cryptography.CryptographicException>(() => provider.TryDecrypt(sealed1, storageKey));
        Assert.IsNull(provider.TryDecrypt(Encoding.ASCII.GetBytes("k8s:enc:secretbox:v1:other:xyz"), storageKey), "another key's value is not this provider's");
    }

    [TestMethod]
    public async Task Secretbox_EncryptsSecretsAtRest_AndRotatesToAesGcm()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kube-enc-tests", Guid.NewGuid().ToString("n"));
        Directory.CreateDirectory(dir);
        var store = await EmbeddedStore.OpenAsync(new StoreOptions { DataDir = dir });
        try
        {
            var box = SecretboxConfig("box1", Convert.FromHexString(NaClKey));
            var options = new ApiServerOptions { Port = 0, Security = new ApiServerSecurityOptions { EncryptionConfiguration = EncryptionConfiguration.Parse(box) } };
            await using (var server = await KubeApiServer.StartAsync(options, store))
            {
                var client = server.CreateClient(UserInfo.Admin);
                await client.CreateAsync(new V1Secret { Metadata = new() { Name = "boxed", NamespaceProperty = "default" }, StringData = new Dictionary<string, string> { ["token"] = "plain-token-value" } });
                var text = Encoding.Latin1.GetString(await RawAsync(store, "default", "boxed"));
                StringAssert.StartsWith(text, "k8s:enc:secretbox:v1:box1:");
                Assert.IsFalse(text.Contains("plain-token", StringComparison.Ordinal) || text.Contains("cGxhaW4tdG9rZW4", StringComparison.Ordinal), "no plaintext at rest");
                Assert.AreEqual("plain-token-value", Encoding.UTF8.GetString((await client.GetAsync<V1Secret>("boxed", "default")).Data["token"]));
            }
            options.Security.EncryptionConfiguration = EncryptionConfiguration.Parse(Config(Gcm, box.Split("providers:\n")[1]));
            await using (var server = await KubeApiServer.StartAsync(options, store))
            {
                var client = server.CreateClient(UserInfo.Admin);
                var read = await client.GetAsync<V1Secret>("boxed", "default");
                Assert.AreEqual("plain-token-value", Encoding.UTF8.GetString(read.Data["token"]));
                read.Metadata.Labels = new Dictionary<string, string> { ["rotated"] = "yes" };
                await client.UpdateAsync(read);
                StringAssert.StartsWith(Encoding.Latin1.GetString(await RawAsync(store, "default", "boxed")), "k8s:enc:aesgcm:v1:k1:");
            }
        }
        finally
        {
            await store.DisposeAsync();
            Directory.Delete(dir, recursive: true);
        }
    }
}
