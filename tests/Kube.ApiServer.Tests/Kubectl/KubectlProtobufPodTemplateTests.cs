using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;

namespace Kube.ApiServer.Tests.Kubectl;

/// <summary>
/// <c>kubectl create job --from=cronjob/x</c> copies the CronJob's whole job template and sends it as protobuf: every pod
/// template field must arrive (none silently skipped), and a field the decoder does not know is a 400, not data loss.
/// </summary>
[TestClass]
public sealed class KubectlProtobufPodTemplateTests
{
    private static string Fmt(ToolResult r) => $"exit {r.ExitCode}\nstdout:\n{r.Stdout}\nstderr:\n{r.Stderr}";

    private const string CronJobYaml = """
        apiVersion: batch/v1
        kind: CronJob
        metadata:
          name: c
        spec:
          schedule: "*/5 * * * *"
          jobTemplate:
            spec:
              backoffLimit: 2
              template:
                metadata:
                  labels:
                    app: rich
                  annotations:
                    note: kept
                spec:
                  restartPolicy: OnFailure
                  activeDeadlineSeconds: 600
                  terminationGracePeriodSeconds: 15
                  serviceAccountName: default
                  automountServiceAccountToken: false
                  hostname: h1
                  subdomain: sub
                  priority: 0
                  enableServiceLinks: false
                  shareProcessNamespace: true
                  nodeSelector:
                    disk: ssd
                  imagePullSecrets:
                  - name: regcred
                  hostAliases:
                  - ip: 10.0.0.1
                    hostnames: [a.local, b.local]
                  dnsPolicy: None
                  dnsConfig:
                    nameservers: [1.1.1.1]
                    searches: [svc.local]
                    options:
                    - name: ndots
                      value: "2"
                  readinessGates:
                  - conditionType: example.com/ready
                  os:
                    name: linux
                  securityContext:
                    runAsUser: 1000
                    runAsGroup: 3000
                    runAsNonRoot: true
                    fsGroup: 2000
                    supplementalGroups: [4000, 5000]
                    fsGroupChangePolicy: OnRootMismatch
                    seccompProfile:
                      type: RuntimeDefault
                    sysctls:
                    - name: net.ipv4.ip_local_port_range
                      value: "1024 65000"
                  affinity:
                    nodeAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                        nodeSelectorTerms:
                        - matchExpressions:
                          - key: kubernetes.io/os
                            operator: In
                            values: [linux]
                      preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 10
                        preference:
                          matchExpressions:
                          - key: zone
                            operator: In
                            values: [a, b]
                    podAffinity:
                      requiredDuringSchedulingIgnoredDuringExecution:
                      - labelSelector:
                          matchLabels:
                            tier: cache
                        topologyKey: kubernetes.io/hostname
                    podAntiAffinity:
                      preferredDuringSchedulingIgnoredDuringExecution:
                      - weight: 50
                        podAffinityTerm:
                          labelSelector:
                            matchExpressions:
                            - key: app
                              operator: In
                              values: [rich]
                          namespaces: [default]
                          topologyKey: zone
                  tolerations:
                  - key: dedicated
                    operator: Equal
                    value: batch
                    effect: NoSchedule
                  - key: node.kubernetes.io/unreachable
                    operator: Exists
                    effect: NoExecute
                    tolerationSeconds: 30
                  topologySpreadConstraints:
                  - maxSkew: 1
                    topologyKey: zone
                    whenUnsatisfiable: DoNotSchedule
                    labelSelector:
                      matchLabels:
                        app: rich
                    minDomains: 2
                    matchLabelKeys: [pod-template-hash]
                  schedulingGates:
                  - name: example.com/gate
                  volumes:
                  - name: scratch
                    emptyDir:
                      medium: Memory
                      sizeLimit: 64Mi
                  - name: host
                    hostPath:
                      path: /var/log
                      type: Directory
                  - name: sec
                    secret:
                      secretName: s1
                      defaultMode: 0400
                      optional: true
                      items:
                      - key: k
                        path: p
                        mode: 0600
                  - name: cfg
                    configMap:
                      name: cm1
                      items:
                      - key: a
                        path: b
                  - name: claim
                    persistentVolumeClaim:
                      claimName: data
                      readOnly: true
                  - name: proj
                    projected:
                      defaultMode: 0444
                      sources:
                      - serviceAccountToken:
                          audience: vault
                          expirationSeconds: 3600
                          path: token
                      - configMap:
                          name: cm2
                          optional: true
                      - secret:
                          name: s2
                          items:
                          - key: x
                            path: why
                      - downwardAPI:
                          items:
                          - path: labels
                            fieldRef:
                              fieldPath: metadata.labels
                  - name: down
                    downwardAPI:
                      items:
                      - path: cpu
                        resourceFieldRef:
                          containerName: main
                          resource: limits.cpu
                          divisor: 1m
                  - name: csi
                    csi:
                      driver: secrets-store.csi.k8s.io
                      readOnly: true
                      volumeAttributes:
                        provider: vault
                      nodePublishSecretRef:
                        name: csi-creds
                  - name: eph
                    ephemeral:
                      volumeClaimTemplate:
                        metadata:
                          labels:
                            kind: scratch
                        spec:
                          accessModes: [ReadWriteOnce]
                          storageClassName: fast
                          resources:
                            requests:
                              storage: 1Gi
                  initContainers:
                  - name: init
                    image: busybox:1.36
                    command: [sh, -c, "true"]
                    restartPolicy: Always
                  containers:
                  - name: main
                    image: busybox:1.36
                    imagePullPolicy: Always
                    command: [sh, -c]
                    args: [sleep 3600]
                    workingDir: /work
                    stdin: true
                    tty: true
                    terminationMessagePolicy: FallbackToLogsOnError
                    ports:
                    - name: http
                      containerPort: 8080
                      protocol: TCP
                    envFrom:
                    - prefix: CFG_
                      configMapRef:
                        name: cm1
                    - secretRef:
                        name: s1
                        optional: true
                    env:
                    - name: PLAIN
                      value: v
                    - name: POD_NAME
                      valueFrom:
                        fieldRef:
                          apiVersion: v1
                          fieldPath: metadata.name
                    - name: MEM
                      valueFrom:
                        resourceFieldRef:
                          containerName: main
                          resource: limits.memory
                          divisor: 1Mi
                    - name: FROM_CM
                      valueFrom:
                        configMapKeyRef:
                          name: cm1
                          key: a
                          optional: true
                    - name: FROM_SECRET
                      valueFrom:
                        secretKeyRef:
                          name: s1
                          key: k
                    resources:
                      requests:
                        cpu: 100m
                        memory: 64Mi
                      limits:
                        cpu: "1"
                        memory: 128Mi
                    volumeMounts:
                    - name: scratch
                      mountPath: /scratch
                    - name: host
                      mountPath: /host
                      readOnly: true
                      subPath: logs
                      mountPropagation: HostToContainer
                    livenessProbe:
                      httpGet:
                        path: /healthz
                        port: http
                        scheme: HTTP
                        httpHeaders:
                        - name: X-Probe
                          value: "1"
                      initialDelaySeconds: 5
                      periodSeconds: 7
                      timeoutSeconds: 2
                      successThreshold: 1
                      failureThreshold: 4
                    readinessProbe:
                      tcpSocket:
                        port: 8080
                      periodSeconds: 3
                    startupProbe:
                      exec:
                        command: [cat, /tmp/ready]
                      failureThreshold: 30
                      terminationGracePeriodSeconds: 9
                    lifecycle:
                      postStart:
                        exec:
                          command: [echo, started]
                      preStop:
                        sleep:
                          seconds: 5
                    securityContext:
                      allowPrivilegeEscalation: false
                      readOnlyRootFilesystem: true
                      privileged: false
                      runAsUser: 1001
                      capabilities:
                        add: [NET_BIND_SERVICE]
                        drop: [ALL]
                      seccompProfile:
                        type: Localhost
                        localhostProfile: profiles/audit.json
                  - name: grpc
                    image: busybox:1.36
                    livenessProbe:
                      grpc:
                        port: 9090
                        service: health
                    readinessProbe:
                      httpGet:
                        port: 9091
        """;

    [TestMethod]
    public async Task KubectlProtobuf_CreateJobFromCronJob_KeepsTheWholePodTemplate()
    {
        KubectlRunner.RequireInstalled();
        await using var cluster = await TestCluster.StartAsync();
        using var kubectl = KubectlRunner.ForServer(cluster.Server.BaseAddress);

        var file = kubectl.WriteFile("cronjob.yaml", CronJobYaml);
        var created = await kubectl.RunArgsAsync("create", "-f", file);
        Assert.AreEqual(0, created.ExitCode, Fmt(created));
        var fromCron = await kubectl.RunArgsAsync("create", "job", "j", "--from=cronjob/c");
        Assert.AreEqual(0, fromCron.ExitCode, Fmt(fromCron));

        var cron = (await cluster.GetAsync("/apis/batch/v1/namespaces/default/cronjobs/c")).Body!;
        var job = (await cluster.GetAsync("/apis/batch/v1/namespaces/default/jobs/j")).Body!;
        var want = cron["spec"]!["jobTemplate"]!["spec"]!["template"]!;
        var got = job["spec"]!["template"]!;

        // Spot checks first, so a failure names the field.
        var spec = got["spec"]!;
        Assert.AreEqual(9, spec["volumes"]!.AsArray().Count, spec.ToJsonString());
        Assert.AreEqual("vault", spec["volumes"]![5]!["projected"]!["sources"]![0]!["serviceAccountToken"]!["audience"]!.GetValue<string>());
        Assert.AreEqual("fast", spec["volumes"]![8]!["ephemeral"]!["volumeClaimTemplate"]!["spec"]!["storageClassName"]!.GetValue<string>());
        Assert.AreEqual("zone", spec["affinity"]!["podAntiAffinity"]!["preferredDuringSchedulingIgnoredDuringExecution"]![0]!["podAffinityTerm"]!["topologyKey"]!.GetValue<string>());
        Assert.AreEqual(30, spec["tolerations"]![1]!["tolerationSeconds"]!.GetValue<int>());
        Assert.AreEqual(2, spec["topologySpreadConstraints"]![0]!["minDomains"]!.GetValue<int>());
        CollectionAssert.AreEqual(new long[] { 4000, 5000 }, spec["securityContext"]!["supplementalGroups"]!.AsArray().Select(n => n!.GetValue<long>()).ToArray());
        var main = spec["containers"]![0]!;
        Assert.AreEqual("/healthz", main["livenessProbe"]!["httpGet"]!["path"]!.GetValue<string>());
        Assert.AreEqual("http", main["livenessProbe"]!["httpGet"]!["port"]!.GetValue<string>());
        Assert.AreEqual("metadata.name", main["env"]![1]!["valueFrom"]!["fieldRef"]!["fieldPath"]!.GetValue<string>());
        Assert.AreEqual("ALL", main["securityContext"]!["capabilities"]!["drop"]![0]!.GetValue<string>());
        Assert.IsFalse(main["securityContext"]!["privileged"]!.GetValue<bool>(), "a pointer false is kept");
        Assert.AreEqual(9090, spec["containers"]![1]!["livenessProbe"]!["grpc"]!["port"]!.GetValue<int>());
        Assert.AreEqual("Always", spec["initContainers"]![0]!["restartPolicy"]!.GetValue<string>());

        // The whole spec is equal; the metadata keeps the user's labels and annotations (the Job adds its own labels).
        Assert.AreEqual(Canonical(want["spec"]), Canonical(got["spec"]));
        foreach (var (k, v) in want["metadata"]!["labels"]!.AsObject())
            Assert.AreEqual(v!.GetValue<string>(), got["metadata"]!["labels"]![k]?.GetValue<string>(), $"label {k}");
        Assert.AreEqual(Canonical(want["metadata"]!["annotations"]), Canonical(got["metadata"]!["annotations"]));
        Assert.AreEqual(2, job["spec"]!["backoffLimit"]!.GetValue<int>());
    }

    [TestMethod]
    public async Task Protobuf_UnknownFieldNumber_IsBadRequestNamingTheField()
    {
        await using var cluster = await TestCluster.StartAsync();

        // A Job whose pod spec carries field 99, which PodSpec does not have.
        var podSpec = Concat(Str(2, Concat(Str(1, "main"), Str(2, "busybox"))), Str(3, "Never"), [.. Varint(99 << 3), 1]);
        var template = Str(2, podSpec);
        var job = Concat(Str(1, Str(1, "bad")), Str(2, Str(6, template)));
        var body = Concat("k8s\0"u8.ToArray(), Str(1, Concat(Str(1, "batch/v1"), Str(2, "Job"))), Str(2, job));

        using var req = new HttpRequestMessage(HttpMethod.Post, "/apis/batch/v1/namespaces/default/jobs") { Content = new ByteArrayContent(body) };
        req.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.kubernetes.protobuf");
        req.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("application/json"));
        using var resp = await cluster.Http.SendAsync(req);
        var text = await resp.Content.ReadAsStringAsync();
        Assert.AreEqual(400, (int)resp.StatusCode, text);
        var status = JsonNode.Parse(text)!;
        Assert.AreEqual("Status", status["kind"]!.GetValue<string>());
        Assert.AreEqual("BadRequest", status["reason"]!.GetValue<string>());
        StringAssert.Contains(status["message"]!.GetValue<string>(),
            "protobuf field 99 of k8s.io.api.core.v1.PodSpec is not supported by this server; send JSON");
        Assert.AreEqual(404, (await cluster.GetAsync("/apis/batch/v1/namespaces/default/jobs/bad")).Code, "nothing was created");
    }

    /// <summary>The JSON text with object keys sorted (protobuf decoding writes fields in field-number order).</summary>
    private static string Canonical(JsonNode? node) => Sort(node)?.ToJsonString() ?? "null";

    private static JsonNode? Sort(JsonNode? node) => node switch
    {
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => KeyValuePair.Create(p.Key, Sort(p.Value)))),
        JsonArray a => new JsonArray([.. a.Select(Sort)]),
        _ => node?.DeepClone(),
    };

    private static byte[] Varint(ulong v)
    {
        var bytes = new List<byte>();
        while (v >= 0x80)
        {
            bytes.Add((byte)(v | 0x80));
            v >>= 7;
        }
        bytes.Add((byte)v);
        return [.. bytes];
    }

    private static byte[] Str(int field, string s) => Str(field, Encoding.UTF8.GetBytes(s));

    private static byte[] Str(int field, byte[] payload) => Concat(Varint((ulong)(field << 3 | 2)), Varint((ulong)payload.Length), payload);

    private static byte[] Concat(params byte[][] parts) => [.. parts.SelectMany(p => p)];
}
