using System.Text;
using System.Text.RegularExpressions;
using Kube.E2E.Tests.Infrastructure;

namespace Kube.E2E.Tests.Compat;

/// <summary>kubectl sessions that change objects: edit, label, annotate, patch, scale, rollout, wait, delete, imperative create.</summary>
public sealed partial class KubectlCompatTests
{
    // ---- edit / label / annotate / patch ----

    [TestMethod]
    public async Task Edit_WithEditorScript_SavesTheChange()
    {
        await K.OkAsync("create configmap edit-cm --from-literal=color=blue");
        var editor = Path.Combine(Cluster.Dir, "editor.sh");
        await File.WriteAllTextAsync(editor, "#!/bin/sh\nsed -i 's/color: blue/color: green/' \"$1\"\n");
        if (!OperatingSystem.IsWindows()) File.SetUnixFileMode(editor, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        await using var edit = KubectlStreaming.Start(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["edit", "configmap", "edit-cm"],
            new Dictionary<string, string> { ["KUBE_EDITOR"] = editor, ["EDITOR"] = editor });
        var code = await edit.WaitForExitAsync(TimeSpan.FromSeconds(60));
        Assert.AreEqual(0, code, $"kubectl edit failed:\n{edit.Stdout}\n{edit.Stderr}");
        StringAssert.Contains(edit.Stdout, "configmap/edit-cm edited");
        Assert.AreEqual("green", await K.OkAsync("get configmap edit-cm -o 'jsonpath={.data.color}'"));
    }

    [TestMethod]
    public async Task Label_AddsOverwritesAndRemoves_AndSelectorsSeeIt()
    {
        await K.OkAsync("create configmap label-cm");
        StringAssert.Contains(await K.OkAsync("label configmap label-cm tier=front"), "configmap/label-cm labeled");
        Assert.AreEqual("configmap/label-cm", (await K.OkAsync("get cm -l tier=front -o name")).Trim());

        var clash = await K.RunAsync("label configmap label-cm tier=back");
        Assert.AreNotEqual(0, clash.ExitCode, "relabelling without --overwrite fails");
        await K.OkAsync("label configmap label-cm tier=back --overwrite");
        Assert.AreEqual("back", await K.OkAsync("get cm label-cm -o 'jsonpath={.metadata.labels.tier}'"));
        Assert.AreEqual("", (await K.OkAsync("get cm -l tier=front -o name")).Trim());

        StringAssert.Contains(await K.OkAsync("label configmap label-cm tier-"), "configmap/label-cm unlabeled");
        Assert.AreEqual("", await K.OkAsync("get cm label-cm -o 'jsonpath={.metadata.labels.tier}'"));
    }

    [TestMethod]
    public async Task Annotate_AddsAndRemoves()
    {
        await K.OkAsync("create configmap annotate-cm");
        StringAssert.Contains(await K.OkAsync("annotate configmap annotate-cm note=hello"), "configmap/annotate-cm annotated");
        Assert.AreEqual("hello", await K.OkAsync("get cm annotate-cm -o 'jsonpath={.metadata.annotations.note}'"));
        await K.OkAsync("annotate configmap annotate-cm note-");
        Assert.AreEqual("", await K.OkAsync("get cm annotate-cm -o 'jsonpath={.metadata.annotations.note}'"));
    }

    [TestMethod]
    public async Task Patch_Merge_Json_AndStrategic()
    {
        await K.OkAsync("create configmap patch-cm --from-literal=a=1 --from-literal=b=2");
        StringAssert.Contains(await K.OkAsync("patch configmap patch-cm --type=merge -p '{\"data\":{\"a\":\"10\",\"b\":null}}'"), "configmap/patch-cm patched");
        Assert.AreEqual("{\"a\":\"10\"}", await K.OkAsync("get cm patch-cm -o 'jsonpath={.data}'"));

        await K.OkAsync("patch configmap patch-cm --type=json -p '[{\"op\":\"add\",\"path\":\"/data/c\",\"value\":\"3\"},{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"10\"}]'");
        Assert.AreEqual("3", await K.OkAsync("get cm patch-cm -o 'jsonpath={.data.c}'"));
        var failedTest = await K.RunAsync("patch configmap patch-cm --type=json -p '[{\"op\":\"test\",\"path\":\"/data/a\",\"value\":\"nope\"}]'");
        Assert.AreNotEqual(0, failedTest.ExitCode, "a failing JSON-patch test op is rejected");

        // Strategic merge (kubectl's default --type): containers merge by name, so the command stays.
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync("patch-deploy.yaml", Deployment("patch-deploy", 1, "busybox:1", 200007))}");
        await K.OkAsync("rollout status deployment/patch-deploy --timeout=90s", timeout: Rollout); // see ApplyClientSide_…
        await K.OkAsync("patch deployment patch-deploy -p '{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"main\",\"image\":\"busybox:2\"}]}}}}'");
        Assert.AreEqual("main busybox:2 [\"sleep\",\"200007\"]",
            await K.OkAsync("get deploy patch-deploy -o 'jsonpath={.spec.template.spec.containers[*].name} {.spec.template.spec.containers[*].image} {.spec.template.spec.containers[0].command}'"));
        await K.OkAsync("rollout status deployment/patch-deploy --timeout=90s", timeout: Rollout);
    }

    // ---- scale / rollout / wait ----

    [TestMethod]
    public async Task Scale_Deployment_ChangesReplicasAndPods()
    {
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync("scale.yaml", Deployment("scale", 1, "busybox:1", 200008))}");
        await K.OkAsync("rollout status deployment/scale --timeout=90s", timeout: Rollout);
        StringAssert.Contains(await K.OkAsync("scale deployment scale --replicas=3"), "deployment.apps/scale scaled");
        await K.OkAsync("rollout status deployment/scale --timeout=90s", timeout: Rollout);
        var row = Rows(await K.OkAsync("get deployment scale"));
        CollectionAssert.AreEqual(new[] { "NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE" }, Regex.Split(row[0], @"\s+"));
        StringAssert.Matches(row[1], new Regex(@"^scale\s+3/3\s+3\s+3\s+\S+$"));
        Assert.AreEqual(3, Rows(await K.OkAsync("get pods -l app=scale -o name")).Length);

        await K.OkAsync("scale deployment scale --replicas=1");
        var down = await Wait.UntilAsync(async () => Rows((await K.RunAsync("get pods -l app=scale -o name")).Stdout).Length == 1, TimeSpan.FromSeconds(60));
        Assert.IsTrue(down, "scale down to 1 left pods:\n" + (await K.RunAsync("get pods -l app=scale")).Stdout);
    }

    [TestMethod]
    public async Task Rollout_Status_History_AndUndo()
    {
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync("roll.yaml", Deployment("roll", 2, "busybox:1", 200009))}");
        StringAssert.Contains(await K.OkAsync("rollout status deployment/roll --timeout=90s", timeout: Rollout), "deployment \"roll\" successfully rolled out");
        await K.OkAsync("set image deployment/roll main=busybox:2");
        StringAssert.Contains(await K.OkAsync("rollout status deployment/roll --timeout=90s", timeout: Rollout), "deployment \"roll\" successfully rolled out");

        var history = await K.OkAsync("rollout history deployment/roll");
        StringAssert.Matches(history, new Regex(@"(?m)^1\s+<none>"));
        StringAssert.Matches(history, new Regex(@"(?m)^2\s+<none>"));
        StringAssert.Contains(await K.OkAsync("rollout history deployment/roll --revision=1"), "busybox:1");

        StringAssert.Contains(await K.OkAsync("rollout undo deployment/roll"), "deployment.apps/roll rolled back");
        await K.OkAsync("rollout status deployment/roll --timeout=90s", timeout: Rollout);
        Assert.AreEqual("busybox:1", await K.OkAsync("get deploy roll -o 'jsonpath={.spec.template.spec.containers[0].image}'"));
        StringAssert.Matches(await K.OkAsync("rollout history deployment/roll"), new Regex(@"(?m)^3\s+<none>"));
        var images = await K.OkAsync("get pods -l app=roll -o 'jsonpath={.items[*].spec.containers[0].image}'");
        var settled = await Wait.UntilAsync(async () =>
        {
            images = (await K.RunAsync("get pods -l app=roll -o 'jsonpath={.items[*].spec.containers[0].image}'")).Stdout;
            return images == "busybox:1 busybox:1";
        }, TimeSpan.FromSeconds(60));
        Assert.IsTrue(settled, "pods after undo: " + images);
    }

    [TestMethod]
    public async Task RolloutUndo_OfAProtobufCreatedDeployment_ReusesTheOldReplicaSet()
    {
        // kubectl create deployment sends protobuf: its zero-valued fields must be defaulted as JSON ones are, or the
        // template restored by undo differs from the stored one and a third ReplicaSet appears.
        await OkCmdAsync("create", "deployment", "undo-pb", "--image=busybox:1", "--replicas=1", "--", "sleep", "200020");
        await K.OkAsync("rollout status deployment/undo-pb --timeout=90s", timeout: Rollout);
        await K.OkAsync("set image deployment/undo-pb busybox=busybox:2");
        await K.OkAsync("rollout status deployment/undo-pb --timeout=90s", timeout: Rollout);
        StringAssert.Contains(await K.OkAsync("rollout undo deployment/undo-pb"), "deployment.apps/undo-pb rolled back");
        await K.OkAsync("rollout status deployment/undo-pb --timeout=90s", timeout: Rollout);
        var replicaSets = Rows(await K.OkAsync("get rs -l app=undo-pb -o name"));
        Assert.AreEqual(2, replicaSets.Length, "undo reuses the first ReplicaSet: " + string.Join(", ", replicaSets));
    }

    [TestMethod]
    public async Task Wait_ForConditionAvailable()
    {
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync("wait.yaml", Deployment("wait", 1, "busybox:1", 200010))}");
        var output = await K.OkAsync("wait --for=condition=Available deployment/wait --timeout=90s", timeout: Rollout);
        StringAssert.Contains(output, "deployment.apps/wait condition met");
        Assert.AreEqual("True", await K.OkAsync("get deploy wait -o 'jsonpath={.status.conditions[?(@.type==\"Available\")].status}'"));
    }

    [TestMethod]
    public async Task Run_AndExpose_ServiceTableColumns()
    {
        await K.OkAsync($"create -f {await Cluster.WriteFileAsync("expose.yaml", Deployment("expose", 1, "busybox:1", 200011))}");
        StringAssert.Contains(await K.OkAsync("expose deployment expose --port=80 --target-port=8080"), "service/expose exposed");
        var rows = Rows(await K.OkAsync("get service expose"));
        CollectionAssert.AreEqual(new[] { "NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE" }, Regex.Split(rows[0], @"\s+"));
        StringAssert.Matches(rows[1], new Regex(@"^expose\s+ClusterIP\s+\d+\.\d+\.\d+\.\d+\s+<none>\s+80/TCP\s+\S+$"));
    }

    // ---- delete ----

    [TestMethod]
    public async Task Delete_ByNameAndByFile_RemovesObjects()
    {
        var file = await Cluster.WriteFileAsync("del-pod.yaml", Pod("del-pod", 200012));
        await K.OkAsync($"create -f {file}");
        await K.OkAsync("create configmap del-cm");
        StringAssert.Contains(await K.OkAsync("delete configmap del-cm"), "configmap \"del-cm\" deleted");
        StringAssert.Contains(await K.OkAsync($"delete -f {file} --timeout=60s", timeout: TimeSpan.FromSeconds(70)), "pod \"del-pod\" deleted");
        var r = await K.RunAsync("get pod del-pod");
        Assert.AreEqual(1, r.ExitCode, "kubectl delete waits until the pod is gone: " + r.Stdout);
        StringAssert.Contains(r.Stderr, "not found");
        Assert.AreEqual(1, (await K.RunAsync("get configmap del-cm")).ExitCode);
        var missing = await K.RunAsync("delete configmap del-cm");
        StringAssert.Contains(missing.Stderr, "Error from server (NotFound): configmaps \"del-cm\" not found");
    }

    // ---- imperative create (protobuf request bodies) ----

    [TestMethod]
    public async Task CreateImperative_Namespace_ConfigMap_Secret_Deployment_WithProtobufBodies()
    {
        StringAssert.Contains(await K.OkAsync("create namespace imp-ns"), "namespace/imp-ns created");
        Assert.AreEqual("Active", await K.OkAsync("get namespace imp-ns -o 'jsonpath={.status.phase}'"));

        StringAssert.Contains(await K.OkAsync("create configmap imp-cm -n imp-ns --from-literal=greeting=hello --from-literal=n=1"), "configmap/imp-cm created");
        Assert.AreEqual("{\"greeting\":\"hello\",\"n\":\"1\"}", await K.OkAsync("get cm imp-cm -n imp-ns -o 'jsonpath={.data}'"));

        StringAssert.Contains(await K.OkAsync("create secret generic imp-secret -n imp-ns --from-literal=password=s3cret"), "secret/imp-secret created");
        Assert.AreEqual(Convert.ToBase64String(Encoding.UTF8.GetBytes("s3cret")), await K.OkAsync("get secret imp-secret -n imp-ns -o 'jsonpath={.data.password}'"));

        StringAssert.Contains(await OkCmdAsync("create", "deployment", "imp-deploy", "-n", "imp-ns", "--image=busybox:1", "--replicas=2", "--", "sleep", "200013"), "deployment.apps/imp-deploy created");
        Assert.AreEqual("2 busybox:1 [\"sleep\",\"200013\"]",
            await K.OkAsync("get deploy imp-deploy -n imp-ns -o 'jsonpath={.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].command}'"));
        await K.OkAsync("rollout status deployment/imp-deploy -n imp-ns --timeout=90s", timeout: Rollout);
    }

    [TestMethod]
    public async Task CreateImperative_Job_AndCronJob_WithProtobufBodies()
    {
        StringAssert.Contains(await OkCmdAsync("create", "job", "imp-job", "--image=busybox", "--", "sh", "-c", "exit 0"), "job.batch/imp-job created");
        StringAssert.Contains(await OkCmdAsync("create", "cronjob", "imp-cron", "--image=busybox", "--schedule=*/5 * * * *", "--", "true"), "cronjob.batch/imp-cron created");
        Assert.AreEqual("*/5 * * * *", await K.OkAsync("get cronjob imp-cron -o 'jsonpath={.spec.schedule}'"));
        StringAssert.Contains(await K.OkAsync("wait --for=condition=Complete job/imp-job --timeout=90s", timeout: Rollout), "condition met");
    }

    [TestMethod]
    public async Task Get_ConfigMapsSecretsAndEvents_ShowUpstreamColumns()
    {
        await K.OkAsync("create configmap cols-cm --from-literal=a=1 --from-literal=b=2");
        await K.OkAsync("create secret generic cols-secret --from-literal=a=1");
        var cm = Rows(await K.OkAsync("get configmap cols-cm"));
        CollectionAssert.AreEqual(new[] { "NAME", "DATA", "AGE" }, Regex.Split(cm[0], @"\s+"));
        StringAssert.Matches(cm[1], new Regex(@"^cols-cm\s+2\s+\S+$"));
        var secret = Rows(await K.OkAsync("get secret cols-secret"));
        CollectionAssert.AreEqual(new[] { "NAME", "TYPE", "DATA", "AGE" }, Regex.Split(secret[0], @"\s+"));
        StringAssert.Matches(secret[1], new Regex(@"^cols-secret\s+Opaque\s+1\s+\S+$"));
        await CreateRunningPodAsync("cols-pod", 200019);
        var events = await K.OkAsync("get events --field-selector involvedObject.name=cols-pod");
        StringAssert.Matches(Rows(events)[0], new Regex(@"^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE$"));
        StringAssert.Matches(events, new Regex(@"(?m)\s+Normal\s+Scheduled\s+pod/cols-pod\s+Successfully assigned default/cols-pod to node-1$"));
    }

    [TestMethod]
    public async Task DeleteNamespace_GoesTerminating_DeletesContents_ThenIsGone()
    {
        await K.OkAsync("create namespace gone-ns");
        await K.OkAsync("create configmap gone-cm -n gone-ns");
        await OkCmdAsync("create", "deployment", "gone-deploy", "-n", "gone-ns", "--image=busybox:1", "--", "sleep", "200014");
        await K.OkAsync("rollout status deployment/gone-deploy -n gone-ns --timeout=90s", timeout: Rollout);
        Assert.AreEqual("kubernetes", await K.OkAsync("get namespace gone-ns -o 'jsonpath={.spec.finalizers[*]}'"));

        // The DELETE answers with the namespace itself, now Terminating (upstream replies 200 with the object).
        await using var watch = KubectlStreaming.Start(Cluster.Host.Kubeconfig, Cluster.CacheDir, ["get", "namespace", "gone-ns", "-w", "-o", "jsonpath={.status.phase}{\"\\n\"}"]);
        Assert.IsTrue(await watch.WaitForLineAsync(l => l == "Active", TimeSpan.FromSeconds(30)), watch.Stdout + watch.Stderr);
        StringAssert.Contains(await K.OkAsync("delete namespace gone-ns --timeout=90s", timeout: Rollout), "namespace \"gone-ns\" deleted");
        Assert.IsTrue(await watch.WaitForLineAsync(l => l == "Terminating", TimeSpan.FromSeconds(5)), "never seen Terminating:\n" + watch.Stdout);

        var ns = await K.RunAsync("get namespace gone-ns");
        StringAssert.Contains(ns.Stderr, "namespaces \"gone-ns\" not found");
        foreach (var kind in new[] { "configmaps", "deployments", "replicasets", "pods" })
        {
            Assert.AreEqual("", (await K.OkAsync($"get {kind} -n gone-ns -o name")).Trim(), $"{kind} left in the deleted namespace");
        }
    }
}
