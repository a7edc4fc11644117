using System.CommandLine;
using Kube.Host.Cluster;

namespace Kube.Host.Commands;

/// <summary><c>kube-host up</c>: an all-in-one cluster with the embedded store, the control plane and N nodes.</summary>
internal static class UpCommand
{
    public static Command Create()
    {
        var dataDir = new Option<string>("--data-dir") { Description = "Where the store, node state and kubeconfig live.", DefaultValueFactory = _ => "./.kube-host" };
        var apiPort = new Option<int>("--api-port") { Description = "The API server's port on 127.0.0.1.", DefaultValueFactory = _ => 6443 };
        var nodes = new Option<int>("--nodes") { Description = "How many node agents to run in this process.", DefaultValueFactory = _ => 1 };
        var exitWithParent = new Option<bool>("--exit-with-parent") { Description = "Stop (gracefully) when the process that started kube-host exits.", DefaultValueFactory = _ => true };
        var runtime = new Option<string>("--runtime") { Description = "Container runtime of the built-in nodes: process, cri or simulated.", DefaultValueFactory = _ => "process" };
        runtime.AcceptOnlyFromAmong("process", "cri", "simulated");
        var criSocket = new Option<string>("--cri-socket") { Description = "containerd's CRI socket, for --runtime cri.", DefaultValueFactory = _ => "/run/containerd/containerd.sock" };
        var simulatedNodes = new Option<int>("--simulated-nodes") { Description = "Extra simulated (KWOK-like) nodes: real Node objects, leases and pod status, no processes.", DefaultValueFactory = _ => 0 };
        var etcdServers = new Option<string?>("--etcd-servers") { Description = "Comma-separated etcd client URLs; use that etcd cluster instead of the embedded store." };
        var tokenAuthFile = new Option<string?>("--token-auth-file") { Description = "Static bearer tokens: a CSV file of token,user,uid,\"group1,group2\" lines (as kube-apiserver's flag)." };
        var encryptionConfig = new Option<string?>("--encryption-provider-config") { Description = "An EncryptionConfiguration (apiserver.config.k8s.io/v1) file: encrypt the listed resources (e.g. secrets) at rest." };
        var cmd = new Command("up", "Run an all-in-one cluster (embedded store, API server, scheduler, controllers, nodes). The API is HTTPS only, with a cluster CA made on first start in DIR/pki.")
        {
            dataDir, apiPort, nodes, exitWithParent, runtime, criSocket, simulatedNodes, etcdServers, tokenAuthFile, encryptionConfig,
        };
        var kubeletConfig = new Option<string?>("--kubelet-config") { Description = "A KubeletConfiguration (kubelet.config.k8s.io/v1beta1) file for the built-in nodes (staticPodPath, evictionHard, ...)." };
        kubeletConfig.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } f && !File.Exists(f)) r.AddError($"--kubelet-config: {f} does not exist."); });
        cmd.Options.Add(kubeletConfig);
        var schedulerConfig = new Option<string?>("--scheduler-config") { Description = "A KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1) file: profiles, plugins and their args (as kube-scheduler's --config)." };
        schedulerConfig.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } f && !File.Exists(f)) r.AddError($"--scheduler-config: {f} does not exist."); });
        cmd.Options.Add(schedulerConfig);
        var auditPolicy = new Option<string?>("--audit-policy-file") { Description = "An audit Policy (audit.k8s.io/v1) file: audit requests at the levels it gives (as kube-apiserver's flag)." };
        var auditLog = new Option<string?>("--audit-log-path") { Description = "Where audit events go, one JSON line each (\"-\" for standard output; default DIR/audit.log with --audit-policy-file)." };
        cmd.Options.Add(auditPolicy);
        cmd.Options.Add(auditLog);
        var auditMaxSize = new Option<int>("--audit-log-maxsize") { Description = "Megabytes of audit log before it rotates (0: 100, as kube-apiserver's lumberjack)." };
        var auditMaxBackup = new Option<int>("--audit-log-maxbackup") { Description = "Rotated audit log files kept (0: all)." };
        var auditMaxAge = new Option<int>("--audit-log-maxage") { Description = "Days a rotated audit log file is kept (0: no limit)." };
        cmd.Options.Add(auditMaxSize);
        cmd.Options.Add(auditMaxBackup);
        cmd.Options.Add(auditMaxAge);
        auditPolicy.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } f && !File.Exists(f)) r.AddError($"--audit-policy-file: {f} does not exist."); });
        tokenAuthFile.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } f && !File.Exists(f)) r.AddError($"--token-auth-file: {f} does not exist."); });
        encryptionConfig.Validators.Add(r => { if (r.GetValueOrDefault<string?>() is { } f && !File.Exists(f)) r.AddError($"--encryption-provider-config: {f} does not exist."); });
        // Option validators run only for options given on the command line; defaults are valid by construction.
        nodes.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 200) r.AddError("--nodes must be between 0 and 200."); });
        simulatedNodes.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 0 or > 10_000) r.AddError("--simulated-nodes must be between 0 and 10000."); });
        apiPort.Validators.Add(r => { if (r.GetValueOrDefault<int>() is < 1 or > 65535) r.AddError("--api-port must be between 1 and 65535."); });
        etcdServers.Validators.Add(r =>
        {
            foreach (var url in (r.GetValueOrDefault<string?>() ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
                if (!StoreCommand.TryEndpoint(url, out _, out var error)) r.AddError($"--etcd-servers: {error}");
        });
        cmd.SetAction((parse, ct) => AllInOneCluster.RunAsync(new AllInOneOptions
        {
            DataDir = Path.GetFullPath(parse.GetValue(dataDir)!),
            ApiPort = parse.GetValue(apiPort),
            Nodes = parse.GetValue(nodes),
            ExitWithParent = parse.GetValue(exitWithParent),
            Runtime = parse.GetValue(runtime)!,
            CriSocket = parse.GetValue(criSocket)!,
            SimulatedNodes = parse.GetValue(simulatedNodes),
            EtcdServers = (parse.GetValue(etcdServers) ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            TokenAuthFile = parse.GetValue(tokenAuthFile) is { } t ? Path.GetFullPath(t) : null,
            EncryptionProviderConfig = parse.GetValue(encryptionConfig) is { } e ? Path.GetFullPath(e) : null,
            AuditPolicyFile = parse.GetValue(auditPolicy) is { } ap ? Path.GetFullPath(ap) : null,
            AuditLogPath = parse.GetValue(auditLog) is { } al ? (al == "-" ? al : Path.GetFullPath(al)) : null,
            AuditLogMaxSize = Math.Max(0, parse.GetValue(auditMaxSize)),
            AuditLogMaxBackup = Math.Max(0, parse.GetValue(auditMaxBackup)),
            AuditLogMaxAge = Math.Max(0, parse.GetValue(auditMaxAge)),
            KubeletConfig = parse.GetValue(kubeletConfig) is { } kc ? Path.GetFullPath(kc) : null,
            SchedulerConfig = parse.GetValue(schedulerConfig) is { } sc ? Path.GetFullPath(sc) : null,
        }, ct));
        return cmd;
    }
}
