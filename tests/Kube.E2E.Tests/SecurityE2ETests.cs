using System.Net;
using System.Text;
using System.Text.Json;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests;

/// <summary>
/// Issue 5's "Done when", scripted with the real kubectl against one secure-by-default <c>kube-host up</c> started with
/// <c>--token-auth-file</c> and <c>--encryption-provider-config</c> (aesgcm for secrets) and a simulated node:
/// 401 without credentials, a pod-reader Role, <c>auth can-i</c> with impersonation, PodSecurity, ResourceQuota,
/// encryption at rest, and the component and node identities.
/// </summary>
[TestClass]
public sealed partial class SecurityE2ETests
{
    internal const string BobToken = "bob-token-5d1c0f3e9a";
    private static KubeHostProcess? _host;
    private static Kubectl? _admin;
    private static string _dir = "";

    private static Kubectl Admin => _admin!;

    [ClassInitialize]
    public static async Task StartClusterAsync(TestContext _)
    {
        if (Kubectl.Path is null) return;
        _dir = Directory.CreateTempSubdirectory("kube-e2e-security-").FullName;
        var tokens = Path.Combine(_dir, "tokens.csv");
        await File.WriteAllTextAsync(tokens, $"{BobToken},bob,uid-bob,\"qa,testers\"\n");
        var encryption = Path.Combine(_dir, "encryption.yaml");
        await File.WriteAllTextAsync(encryption, EncryptionConfig());
        var audit = Path.Combine(_dir, "audit-policy.yaml");
        await File.WriteAllTextAsync(audit, """
            apiVersion: audit.k8s.io/v1
            kind: Policy
            omitStages: [RequestReceived]
            rules:
            - level: RequestResponse
              namespaces: [sec-audit]
              resources: [{group: "", resources: [configmaps]}]
            - level: Metadata
              resources: [{group: "", resources: [secrets]}]
            - level: None
            """);
        _host = await KubeHostProcess.StartAsync(Path.Combine(_dir, "data"),
            extraArgs: $"--runtime simulated --token-auth-file {tokens} --encryption-provider-config {encryption} --audit-policy-file {audit}");
        _admin = new Kubectl(_host.Kubeconfig, Path.Combine(_dir, "cache-admin"));
    }

    [ClassCleanup]
    public static async Task StopClusterAsync()
    {
        if (_host is not null) await _host.DisposeAsync();
        try { if (_dir.Length > 0) Directory.Delete(_dir, true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
    }

    [TestInitialize]
    public void RequireKubectl() => Kubectl.RequireInstalled();

    internal static string EncryptionConfig() => $"""
        apiVersion: apiserver.config.k8s.io/v1
        kind: EncryptionConfiguration
        resources:
          - resources: [secrets]
            providers:
              - aesgcm:
                  keys:
                    - name: key1
                      secret: {Convert.ToBase64String(Enumerable.Range(7, 32).Select(i => (byte)i).ToArray())}
              - identity: {"{}"}

        """;

    private static Kubectl As(string kubeconfig, string name) => new(kubeconfig, Path.Combine(_dir, "cache-" + name));

    private static async Task<Kubectl> UserAsync(string user, params string[] groups)
    {
        var args = new List<string> { "kubeconfig", "--data-dir", _host!.DataDir, "--user", user, "--out", Path.Combine(_dir, user + ".kubeconfig") };
        foreach (var g in groups) args.AddRange(["--group", g]);
        var r = await ToolProcess.KubeHostAsync([.. args]);
        Assert.AreEqual(0, r.ExitCode, r.Stdout + r.Stderr);
        return As(r.Stdout.Trim(), user);
    }

    private static async Task NamespaceAsync(string ns) => await Admin.OkAsync($"create namespace {ns}");

    // Manifests rather than `kubectl create role|rolebinding|quota`, which send protobuf bodies.
    private static Task PodReaderRoleAsync(string ns) => Admin.OkAsync("apply -f -", $$"""
        apiVersion: rbac.authorization.k8s.io/v1
        kind: Role
        metadata: {name: pod-reader, namespace: {{ns}}}
        rules:
        - {apiGroups: [""], resources: [pods], verbs: [get, list, watch]}
        """);

    private static Task BindAsync(string ns, string name, string roleKind, string role, string subjectKind, string subject, string? subjectNamespace = null) =>
        Admin.OkAsync("apply -f -", $$"""
            apiVersion: rbac.authorization.k8s.io/v1
            kind: RoleBinding
            metadata: {name: {{name}}, namespace: {{ns}}}
            roleRef: {apiGroup: rbac.authorization.k8s.io, kind: {{roleKind}}, name: {{role}}}
            subjects:
            - {{(subjectKind == "ServiceAccount"
                ? $"{{kind: ServiceAccount, name: {subject}, namespace: {subjectNamespace}}}"
                : $"{{apiGroup: rbac.authorization.k8s.io, kind: {subjectKind}, name: {subject}}}")}}
            """);

    private static Task QuotaAsync(string ns, string name, string hard) => Admin.OkAsync("apply -f -", $$"""
        apiVersion: v1
        kind: ResourceQuota
        metadata: {name: {{name}}, namespace: {{ns}}}
        spec:
          hard: {{{hard}}}
        """);

    [TestMethod]
    public async Task NoCredentials_Get401_ButHealthAndVersionAnswer()
    {
        // kubectl itself prompts for a user name when its kubeconfig user has no credentials at all, so the
        // credential-less requests go over HTTP below; kubectl with credentials the server does not know gets 401.
        var anonymous = As(KubeconfigFiles.WithToken(_host!.Kubeconfig, Path.Combine(_dir, "anonymous.kubeconfig"), null), "anonymous");
        Assert.AreNotEqual(0, (await anonymous.RunAsync("get pods")).ExitCode);
        var badToken = As(KubeconfigFiles.WithToken(_host.Kubeconfig, Path.Combine(_dir, "bad.kubeconfig"), "not-a-token"), "bad");
        var r = await badToken.RunAsync("get pods");
        Assert.AreNotEqual(0, r.ExitCode);
        // kubectl 1.32 says "(the server has asked for the client to provide credentials)" here against kube-apiserver too
        StringAssert.Contains(r.Stderr, "error: You must be logged in to the server (");

        using var http = KubeconfigFiles.AnonymousHttp(_host.Kubeconfig);
        using (var pods = await http.GetAsync("/api/v1/namespaces/default/pods"))
        {
            Assert.AreEqual(HttpStatusCode.Unauthorized, pods.StatusCode);
            using var status = JsonDocument.Parse(await pods.Content.ReadAsStringAsync());
            Assert.AreEqual("Status", status.RootElement.GetProperty("kind").GetString());
            Assert.AreEqual("Unauthorized", status.RootElement.GetProperty("reason").GetString());
            Assert.AreEqual(401, status.RootElement.GetProperty("code").GetInt32());
        }
        foreach (var open in new[] { "/healthz", "/livez", "/readyz", "/version" })
        {
            using var resp = await http.GetAsync(open);
            Assert.AreEqual(HttpStatusCode.OK, resp.StatusCode, open);
        }

        // HTTPS only: a plain-HTTP request on the API port gets no API answer.
        using var plain = new HttpClient { Timeout = TimeSpan.FromSeconds(5) };
        var plainAnswered = false;
        try
        {
            using var resp = await plain.GetAsync($"http://127.0.0.1:{_host.ApiPort}/version");
            plainAnswered = resp.IsSuccessStatusCode;
        }
        catch (HttpRequestException)
        {
        }
        Assert.IsFalse(plainAnswered, "the API answered plain HTTP");
    }

    [TestMethod]
    public async Task PodReader_CanGetListWatchPods_ButDeleteIsForbidden()
    {
        await NamespaceAsync("sec-reader");
        await PodReaderRoleAsync("sec-reader");
        await BindAsync("sec-reader", "jane-reads-pods", "Role", "pod-reader", "User", "jane");
        await Admin.OkAsync("run readme --image=busybox --restart=Never -n sec-reader -- sleep 3600");
        var jane = await UserAsync("jane", "devs");

        StringAssert.Contains(await jane.OkAsync("get pods -n sec-reader"), "readme");
        StringAssert.Contains(await jane.OkAsync("get pod readme -n sec-reader -o name"), "pod/readme");
        var watch = await jane.OkAsync("get --raw /api/v1/namespaces/sec-reader/pods?watch=1&timeoutSeconds=1");
        StringAssert.Contains(watch, "\"type\":\"ADDED\"");

        var delete = await jane.RunAsync("delete pod readme -n sec-reader");
        Assert.AreNotEqual(0, delete.ExitCode);
        StringAssert.Contains(delete.Stderr,
            "Error from server (Forbidden): pods \"readme\" is forbidden: User \"jane\" cannot delete resource \"pods\" in API group \"\" in the namespace \"sec-reader\"");
        var other = await jane.RunAsync("get pods -n default");
        StringAssert.Contains(other.Stderr, "pods is forbidden: User \"jane\" cannot list resource \"pods\" in API group \"\" in the namespace \"default\"");
        var secrets = await jane.RunAsync("get secrets -n sec-reader");
        StringAssert.Contains(secrets.Stderr, "cannot list resource \"secrets\"");
        StringAssert.Contains(await Admin.OkAsync("get pod readme -n sec-reader -o name"), "pod/readme");
    }

    [TestMethod]
    public async Task AuthCanI_AnswersForSelf_ForTokenUsers_AndWithImpersonation()
    {
        await NamespaceAsync("sec-cani");
        await PodReaderRoleAsync("sec-cani");
        await BindAsync("sec-cani", "alice-reads-pods", "Role", "pod-reader", "User", "alice");
        await BindAsync("sec-cani", "qa-edits", "ClusterRole", "edit", "Group", "qa");
        var alice = await UserAsync("alice");

        Assert.AreEqual("yes", (await alice.OkAsync("auth can-i list pods -n sec-cani")).Trim());
        var no = await alice.RunAsync("auth can-i delete pods -n sec-cani");
        Assert.AreEqual(1, no.ExitCode);
        Assert.AreEqual("no", no.Stdout.Trim());
        Assert.AreEqual("no", (await alice.RunAsync("auth can-i list pods -n default")).Stdout.Trim());
        Assert.AreEqual("yes", (await Admin.OkAsync("auth can-i '*' '*' --all-namespaces")).Trim());

        // impersonation by the administrator
        Assert.AreEqual("yes", (await Admin.OkAsync("auth can-i watch pods -n sec-cani --as alice")).Trim());
        Assert.AreEqual("no", (await Admin.RunAsync("auth can-i delete pods -n sec-cani --as alice")).Stdout.Trim());
        Assert.AreEqual("yes", (await Admin.OkAsync("auth can-i create deployments.apps -n sec-cani --as someone --as-group qa")).Trim());
        Assert.AreEqual("no", (await Admin.RunAsync("auth can-i create deployments.apps -n sec-cani --as someone")).Stdout.Trim());
        // a user who may not impersonate is refused
        var impersonate = await alice.RunAsync("get pods -n sec-cani --as bob");
        StringAssert.Contains(impersonate.Stderr, "cannot impersonate resource \"users\"");

        // bob comes from --token-auth-file, in groups qa and testers
        var bob = As(KubeconfigFiles.WithToken(_host!.Kubeconfig, Path.Combine(_dir, "bob.kubeconfig"), BobToken), "bob");
        var whoami = await bob.OkAsync("auth whoami");
        StringAssert.Contains(whoami, "bob");
        StringAssert.Contains(whoami, "testers");
        Assert.AreEqual("yes", (await bob.OkAsync("auth can-i create configmaps -n sec-cani")).Trim());
        Assert.AreEqual("no", (await bob.RunAsync("auth can-i create configmaps -n default")).Stdout.Trim());
    }

    [TestMethod]
    public async Task ServiceAccountToken_FromCreateToken_AuthenticatesAsTheAccount()
    {
        await NamespaceAsync("sec-sa");
        await Admin.OkAsync("create serviceaccount robot -n sec-sa");
        await BindAsync("sec-sa", "robot-view", "ClusterRole", "view", "ServiceAccount", "robot", "sec-sa");
        var token = (await Admin.OkAsync("create token robot -n sec-sa --duration=10m")).Trim();
        Assert.AreEqual(3, token.Split('.').Length, token);
        var robot = As(KubeconfigFiles.WithToken(_host!.Kubeconfig, Path.Combine(_dir, "robot.kubeconfig"), token), "robot");
        StringAssert.Contains(await robot.OkAsync("auth whoami"), "system:serviceaccount:sec-sa:robot");
        await robot.OkAsync("get pods -n sec-sa");
        StringAssert.Contains((await robot.RunAsync("create configmap nope -n sec-sa")).Stderr,
            "User \"system:serviceaccount:sec-sa:robot\" cannot create resource \"configmaps\"");
    }

    [TestMethod]
    public async Task PrivilegedPod_IsRejected_InRestrictedNamespace()
    {
        await NamespaceAsync("sec-restricted");
        await Admin.OkAsync("label namespace sec-restricted pod-security.kubernetes.io/enforce=restricted");
        var privileged = """
            apiVersion: v1
            kind: Pod
            metadata: {name: priv, namespace: sec-restricted}
            spec:
              containers:
              - name: c
                image: busybox
                command: [sleep, "3600"]
                securityContext: {privileged: true}
            """;
        var r = await Admin.RunAsync("create -f -", privileged);
        Assert.AreNotEqual(0, r.ExitCode, r.Stdout);
        StringAssert.Contains(r.Stderr, "Error from server (Forbidden)");
        StringAssert.Contains(r.Stderr, "pods \"priv\" is forbidden: violates PodSecurity \"restricted:latest\"");
        StringAssert.Contains(r.Stderr, "privileged");
        Assert.AreNotEqual(0, (await Admin.RunAsync("get pod priv -n sec-restricted")).ExitCode);

        // the same pod is fine where no level is enforced
        await NamespaceAsync("sec-open");
        await Admin.OkAsync("create -f -", privileged.Replace("sec-restricted", "sec-open", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task ResourceQuota_IsEnforced()
    {
        await NamespaceAsync("sec-quota");
        // Every namespace gets the kube-root-ca.crt ConfigMap from the root-ca-cert-publisher, and it counts, as upstream.
        Assert.IsTrue(await Wait.UntilAsync(async () => (await Admin.RunAsync("get configmap kube-root-ca.crt -n sec-quota")).ExitCode == 0,
            TimeSpan.FromSeconds(30)), "kube-root-ca.crt was not published in sec-quota");
        await QuotaAsync("sec-quota", "counts", "configmaps: \"3\"");
        await Admin.OkAsync("create configmap a --from-literal=k=v -n sec-quota");
        await Admin.OkAsync("create configmap b --from-literal=k=v -n sec-quota");
        var third = await Admin.RunAsync("create configmap c --from-literal=k=v -n sec-quota");
        Assert.AreNotEqual(0, third.ExitCode);
        StringAssert.Contains(third.Stderr,
            "configmaps \"c\" is forbidden: exceeded quota: counts, requested: configmaps=1, used: configmaps=3, limited: configmaps=3");

        await QuotaAsync("sec-quota", "compute", "requests.cpu: \"1\"");
        var noRequests = await Admin.RunAsync("run bare --image=busybox --restart=Never -n sec-quota -- sleep 3600");
        StringAssert.Contains(noRequests.Stderr, "pods \"bare\" is forbidden: failed quota: compute: must specify requests.cpu");
        var tooMuch = """
            apiVersion: v1
            kind: Pod
            metadata: {name: big, namespace: sec-quota}
            spec:
              containers:
              - {name: c, image: busybox, command: [sleep, "3600"], resources: {requests: {cpu: "2"}}}
            """;
        StringAssert.Contains((await Admin.RunAsync("create -f -", tooMuch)).Stderr, "exceeded quota: compute");
        await Admin.OkAsync("create -f -", tooMuch.Replace("cpu: \"2\"", "cpu: 500m", StringComparison.Ordinal).Replace("name: big", "name: small", StringComparison.Ordinal));
    }

    [TestMethod]
    public async Task Secret_IsEncryptedAtRest_InTheEmbeddedStore()
    {
        await NamespaceAsync("sec-enc");
        var marker = "plaintext-" + Guid.NewGuid().ToString("N");
        await Admin.OkAsync($"create secret generic s1 -n sec-enc --from-literal=password={marker}");
        var read = await Admin.OkAsync("get secret s1 -n sec-enc -o jsonpath={.data.password}");
        Assert.AreEqual(marker, Encoding.UTF8.GetString(Convert.FromBase64String(read.Trim())), "the API gives the plaintext back");
        // a ConfigMap with the same marker shows that the scan would find plaintext if it were there
        await Admin.OkAsync($"create configmap c1 -n sec-enc --from-literal=value={marker}-cm");

        var store = Path.Combine(_host!.DataDir, "store");
        var prefix = Encoding.ASCII.GetBytes("k8s:enc:aesgcm:v1:key1:");
        var needles = new[] { Encoding.UTF8.GetBytes(marker + "\""), Encoding.UTF8.GetBytes(Convert.ToBase64String(Encoding.UTF8.GetBytes(marker))) };
        bool sawPrefix = false, sawConfigMap = false;
        var ok = await Wait.UntilAsync(() =>
        {
            sawPrefix = sawConfigMap = false;
            foreach (var file in Directory.EnumerateFiles(store, "*", SearchOption.AllDirectories))
            {
                byte[] bytes;
                try { bytes = File.ReadAllBytes(file); }
                catch (IOException) { continue; }
                foreach (var n in needles)
                    Assert.AreEqual(-1, bytes.AsSpan().IndexOf(n), $"Secret plaintext found at rest in {file}");
                sawPrefix |= bytes.AsSpan().IndexOf(prefix) >= 0;
                sawConfigMap |= bytes.AsSpan().IndexOf(Encoding.UTF8.GetBytes(marker + "-cm")) >= 0;
            }
            return sawPrefix && sawConfigMap;
        }, TimeSpan.FromSeconds(20));
        Assert.IsTrue(ok, $"expected the k8s:enc:aesgcm:v1:key1: prefix ({sawPrefix}) and the ConfigMap's plaintext ({sawConfigMap}) in {store}");
    }

    [TestMethod]
    public async Task NodeIdentity_IsLimitedToItsOwnNode_AndComponentsRunAsThemselves()
    {
        var log = _host!.Log;
        StringAssert.Contains(log, "Starting scheduler as system:kube-scheduler");
        StringAssert.Contains(log, "Starting controller-manager as system:kube-controller-manager");
        StringAssert.Contains(log, "Starting node node-1 as system:node:node-1");
        StringAssert.Contains(await Admin.OkAsync("get clusterrolebinding system:kube-scheduler system:kube-controller-manager -o name"), "system:kube-scheduler");

        var r = await ToolProcess.KubeHostAsync("kubeconfig", "--data-dir", _host.DataDir, "--node", "node-1", "--out", Path.Combine(_dir, "node-1.kubeconfig"));
        Assert.AreEqual(0, r.ExitCode, r.Stdout + r.Stderr);
        var node = As(r.Stdout.Trim(), "node-1");
        StringAssert.Contains(await node.OkAsync("auth whoami"), "system:nodes");
        StringAssert.Contains(await node.OkAsync("get nodes -o name"), "node/node-1");
        await node.OkAsync("annotate node node-1 sec.example.com/touched=yes --overwrite");
        await Admin.OkAsync("create -f -", "apiVersion: v1\nkind: Node\nmetadata: {name: sec-other-node}\n");
        var other = await node.RunAsync("annotate node sec-other-node sec.example.com/touched=yes");
        StringAssert.Contains(other.Stderr, "User \"system:node:node-1\" cannot patch resource \"nodes\"");
        StringAssert.Contains((await node.RunAsync("get secrets -A")).Stderr, "User \"system:node:node-1\" cannot list resource \"secrets\"");
        await Admin.OkAsync("delete node sec-other-node");
    }

    [TestMethod]
    public async Task NodeProcess_JoinsWithACertificateFromTheClusterCa()
    {
        var r = await ToolProcess.KubeHostAsync("kubeconfig", "--data-dir", _host!.DataDir, "--node", "sec-ext-1", "--out", Path.Combine(_dir, "ext.kubeconfig"));
        Assert.AreEqual(0, r.ExitCode, r.Stdout + r.Stderr);
        await using var agent = LiveProcess.Start("dotnet",
            [KubeHostProcess.HostDll(), "node", "--kubeconfig", r.Stdout.Trim(), "--name", "sec-ext-1", "--runtime", "simulated", "--data-dir", Path.Combine(_dir, "ext-node")]);
        try
        {
            var ready = await Wait.UntilAsync(async () =>
            {
                var nodes = await Admin.RunAsync("get node sec-ext-1 --no-headers");
                return nodes.ExitCode == 0 && nodes.Stdout.Contains(" Ready ");
            }, TimeSpan.FromSeconds(60));
            Assert.IsTrue(ready, "sec-ext-1 never became Ready:\n" + agent.Stdout + agent.Stderr);
            // the Lease comes from the heartbeat loop, which may first renew just after the Node reads Ready
            var lease = "";
            Assert.IsTrue(await Wait.UntilAsync(async () =>
                (lease = (await Admin.RunAsync("get lease sec-ext-1 -n kube-node-lease -o jsonpath={.spec.holderIdentity}")).Stdout.Trim()) == "sec-ext-1",
                TimeSpan.FromSeconds(30)), "the node's Lease holder: '" + lease + "'\n" + agent.Stdout + agent.Stderr);
        }
        finally
        {
            agent.Kill();
            await Admin.RunAsync("delete node sec-ext-1 --wait=false");
        }
    }

    [TestMethod]
    public async Task AuditLog_RecordsRequestsAtThePolicysLevels()
    {
        await NamespaceAsync("sec-audit");
        // a JSON body (kubectl create configmap would send protobuf, which the audit log records decoded, as upstream)
        await Admin.OkAsync("create -f -", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: audited, namespace: sec-audit}\ndata: {k: audit-value}\n");
        var marker = "audit-secret-" + Guid.NewGuid().ToString("N");
        await Admin.OkAsync($"create secret generic audited -n sec-audit --from-literal=password={marker}");
        var log = Path.Combine(_host!.DataDir, "audit.log");
        System.Text.Json.Nodes.JsonObject? cm = null, secret = null;
        var seen = await Wait.UntilAsync(() =>
        {
            if (!File.Exists(log)) return false;
            using var f = new FileStream(log, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
            var events = new StreamReader(f).ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => System.Text.Json.Nodes.JsonNode.Parse(l)!.AsObject()).ToList();
            cm = events.FirstOrDefault(e => e["verb"]?.GetValue<string>() == "create" && e["objectRef"]?["resource"]?.GetValue<string>() == "configmaps"
                && e["objectRef"]?["namespace"]?.GetValue<string>() == "sec-audit");
            secret = events.FirstOrDefault(e => e["verb"]?.GetValue<string>() == "create" && e["objectRef"]?["resource"]?.GetValue<string>() == "secrets"
                && e["objectRef"]?["namespace"]?.GetValue<string>() == "sec-audit");
            return cm is not null && secret is not null;
        }, TimeSpan.FromSeconds(10));
        Assert.IsTrue(seen, "no audit events for the creates in " + log);
        Assert.AreEqual("RequestResponse", cm!["level"]!.GetValue<string>());
        Assert.AreEqual("kubernetes-admin", cm["user"]!["username"]!.GetValue<string>());
        Assert.AreEqual(201, cm["responseStatus"]!["code"]!.GetValue<int>());
        Assert.AreEqual("audit-value", cm["requestObject"]!["data"]!["k"]!.GetValue<string>());
        Assert.AreEqual("Metadata", secret!["level"]!.GetValue<string>());
        Assert.IsFalse(File.ReadAllText(log).Contains(Convert.ToBase64String(Encoding.UTF8.GetBytes(marker)), StringComparison.Ordinal), "Secret data in the audit log");
    }
}
