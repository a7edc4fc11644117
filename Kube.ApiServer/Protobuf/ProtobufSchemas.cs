namespace Kube.ApiServer.Protobuf;

/// <summary>
/// Field numbers of the k8s.io/api protobuf messages kubectl's typed create commands send (generated.proto):
/// ObjectMeta, Namespace, ConfigMap, Secret, Deployment, Job and CronJob with the whole core/v1 PodSpec (all volume sources
/// but the deprecated in-tree cloud and network plugins), RBAC roles and bindings,
/// ResourceQuota, Service, PriorityClass, PodDisruptionBudget, Ingress and HorizontalPodAutoscaler (autoscaling/v1 and v2).
/// </summary>
internal static class ProtobufSchemas
{
    /// <summary>
    /// <c>Quantity</c> is resource.Quantity (a message with the string form in field 1); <c>QuantityMap</c> is a
    /// <c>map&lt;string, Quantity&gt;</c> such as ResourceList; <c>Time</c> is metav1.Time (seconds in field 1, nanos in field 2),
    /// written as RFC 3339 and absent when zero.
    /// </summary>
    public enum FieldType { String, Bytes, Int, Bool, Message, StringMap, BytesMap, IntOrString, Quantity, QuantityMap, Time }

    /// <summary>
    /// A message field. <paramref name="Pointer"/> marks Go pointer fields (<c>*int32</c>, <c>*bool</c>, <c>*string</c>): Go's
    /// protobuf marshalling writes a non-pointer scalar even when it is the zero value, which JSON would omit, so a
    /// zero non-pointer scalar decodes as absent (and is then defaulted, as upstream does). <paramref name="Inline"/> marks an
    /// embedded struct with <c>json:",inline"</c> (IngressRule's IngressRuleValue): its fields are merged into the parent.
    /// </summary>
    public sealed record Field(string Name, FieldType Type, bool Repeated = false, Schema? Message = null, bool Pointer = false, bool Inline = false);

    /// <summary>A message; <paramref name="name"/> is its full protobuf name (k8s.io.api.core.v1.PodSpec), used in errors.</summary>
    public sealed class Schema(string name)
    {
        public string Name { get; } = name;

        public Dictionary<int, Field> Fields { get; } = [];

        /// <summary>The message's contents are not read (a status the server resets); it decodes as <c>{}</c>.</summary>
        public bool Discarded { get; init; }

        public Schema Add(int number, string name, FieldType type, bool repeated = false, Schema? message = null)
        {
            Fields[number] = new Field(name, type, repeated, message);
            return this;
        }

        /// <summary>Adds an embedded message whose JSON form is inlined into this one.</summary>
        public Schema Embed(int number, Schema message)
        {
            Fields[number] = new Field("", FieldType.Message, Message: message, Inline: true);
            return this;
        }

        /// <summary>Adds a Go pointer field: its zero value is kept.</summary>
        public Schema Ptr(int number, string name, FieldType type)
        {
            Fields[number] = new Field(name, type, Pointer: true);
            return this;
        }
    }

    private const string Meta = "k8s.io.apimachinery.pkg.apis.meta.v1.";
    private const string Core = "k8s.io.api.core.v1.";

    private static readonly Schema OwnerReference = new Schema(Meta + "OwnerReference")
        .Add(5, "apiVersion", FieldType.String).Add(1, "kind", FieldType.String).Add(3, "name", FieldType.String)
        .Add(4, "uid", FieldType.String).Ptr(6, "controller", FieldType.Bool).Ptr(7, "blockOwnerDeletion", FieldType.Bool);

    private static readonly Schema ObjectMeta = new Schema(Meta + "ObjectMeta")
        .Add(1, "name", FieldType.String).Add(2, "generateName", FieldType.String).Add(3, "namespace", FieldType.String)
        .Add(4, "selfLink", FieldType.String).Add(5, "uid", FieldType.String).Add(6, "resourceVersion", FieldType.String)
        .Add(7, "generation", FieldType.Int).Add(8, "creationTimestamp", FieldType.Time).Add(9, "deletionTimestamp", FieldType.Time)
        .Ptr(10, "deletionGracePeriodSeconds", FieldType.Int)
        .Add(11, "labels", FieldType.StringMap).Add(12, "annotations", FieldType.StringMap)
        .Add(13, "ownerReferences", FieldType.Message, true, OwnerReference).Add(14, "finalizers", FieldType.String, true);

    private static readonly Schema LabelSelectorRequirement = new Schema(Meta + "LabelSelectorRequirement")
        .Add(1, "key", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true);

    private static readonly Schema LabelSelector = new Schema(Meta + "LabelSelector")
        .Add(1, "matchLabels", FieldType.StringMap).Add(2, "matchExpressions", FieldType.Message, true, LabelSelectorRequirement);

    // core/v1 PodSpec and its children
    private static readonly Schema LocalObjectReference = new Schema(Core + "LocalObjectReference").Add(1, "name", FieldType.String);

    private static readonly Schema ObjectFieldSelector = new Schema(Core + "ObjectFieldSelector")
        .Add(1, "apiVersion", FieldType.String).Add(2, "fieldPath", FieldType.String);

    private static readonly Schema ResourceFieldSelector = new Schema(Core + "ResourceFieldSelector")
        .Add(1, "containerName", FieldType.String).Add(2, "resource", FieldType.String).Add(3, "divisor", FieldType.Quantity);

    private static readonly Schema ConfigMapKeySelector = new Schema(Core + "ConfigMapKeySelector")
        .Embed(1, LocalObjectReference).Add(2, "key", FieldType.String).Ptr(3, "optional", FieldType.Bool);

    private static readonly Schema SecretKeySelector = new Schema(Core + "SecretKeySelector")
        .Embed(1, LocalObjectReference).Add(2, "key", FieldType.String).Ptr(3, "optional", FieldType.Bool);

    private static readonly Schema EnvVarSource = new Schema(Core + "EnvVarSource")
        .Add(1, "fieldRef", FieldType.Message, false, ObjectFieldSelector).Add(2, "resourceFieldRef", FieldType.Message, false, ResourceFieldSelector)
        .Add(3, "configMapKeyRef", FieldType.Message, false, ConfigMapKeySelector).Add(4, "secretKeyRef", FieldType.Message, false, SecretKeySelector);

    private static readonly Schema EnvVar = new Schema(Core + "EnvVar")
        .Add(1, "name", FieldType.String).Add(2, "value", FieldType.String).Add(3, "valueFrom", FieldType.Message, false, EnvVarSource);

    private static readonly Schema EnvFromSource = new Schema(Core + "EnvFromSource")
        .Add(1, "prefix", FieldType.String)
        .Add(2, "configMapRef", FieldType.Message, false, new Schema(Core + "ConfigMapEnvSource").Embed(1, LocalObjectReference).Ptr(2, "optional", FieldType.Bool))
        .Add(3, "secretRef", FieldType.Message, false, new Schema(Core + "SecretEnvSource").Embed(1, LocalObjectReference).Ptr(2, "optional", FieldType.Bool));

    private static readonly Schema ContainerPort = new Schema(Core + "ContainerPort")
        .Add(1, "name", FieldType.String).Add(2, "hostPort", FieldType.Int).Add(3, "containerPort", FieldType.Int)
        .Add(4, "protocol", FieldType.String).Add(5, "hostIP", FieldType.String);

    private static readonly Schema ResourceRequirements = new Schema(Core + "ResourceRequirements")
        .Add(1, "limits", FieldType.QuantityMap).Add(2, "requests", FieldType.QuantityMap)
        .Add(3, "claims", FieldType.Message, true, new Schema(Core + "ResourceClaim").Add(1, "name", FieldType.String).Add(2, "request", FieldType.String));

    private static readonly Schema VolumeMount = new Schema(Core + "VolumeMount")
        .Add(1, "name", FieldType.String).Add(2, "readOnly", FieldType.Bool).Add(3, "mountPath", FieldType.String).Add(4, "subPath", FieldType.String)
        .Ptr(5, "mountPropagation", FieldType.String).Add(6, "subPathExpr", FieldType.String).Ptr(7, "recursiveReadOnly", FieldType.String);

    private static readonly Schema VolumeDevice = new Schema(Core + "VolumeDevice")
        .Add(1, "name", FieldType.String).Add(2, "devicePath", FieldType.String);

    private static readonly Schema ExecAction = new Schema(Core + "ExecAction").Add(1, "command", FieldType.String, true);

    private static readonly Schema HttpGetAction = new Schema(Core + "HTTPGetAction")
        .Add(1, "path", FieldType.String).Add(2, "port", FieldType.IntOrString).Add(3, "host", FieldType.String).Add(4, "scheme", FieldType.String)
        .Add(5, "httpHeaders", FieldType.Message, true, new Schema(Core + "HTTPHeader").Add(1, "name", FieldType.String).Add(2, "value", FieldType.String));

    private static readonly Schema TcpSocketAction = new Schema(Core + "TCPSocketAction")
        .Add(1, "port", FieldType.IntOrString).Add(2, "host", FieldType.String);

    private static readonly Schema ProbeHandler = new Schema(Core + "ProbeHandler")
        .Add(1, "exec", FieldType.Message, false, ExecAction).Add(2, "httpGet", FieldType.Message, false, HttpGetAction)
        .Add(3, "tcpSocket", FieldType.Message, false, TcpSocketAction)
        .Add(4, "grpc", FieldType.Message, false, new Schema(Core + "GRPCAction").Add(1, "port", FieldType.Int).Ptr(2, "service", FieldType.String));

    private static readonly Schema Probe = new Schema(Core + "Probe")
        .Embed(1, ProbeHandler).Add(2, "initialDelaySeconds", FieldType.Int).Add(3, "timeoutSeconds", FieldType.Int).Add(4, "periodSeconds", FieldType.Int)
        .Add(5, "successThreshold", FieldType.Int).Add(6, "failureThreshold", FieldType.Int).Ptr(7, "terminationGracePeriodSeconds", FieldType.Int);

    private static readonly Schema LifecycleHandler = new Schema(Core + "LifecycleHandler")
        .Add(1, "exec", FieldType.Message, false, ExecAction).Add(2, "httpGet", FieldType.Message, false, HttpGetAction)
        .Add(3, "tcpSocket", FieldType.Message, false, TcpSocketAction)
        .Add(4, "sleep", FieldType.Message, false, new Schema(Core + "SleepAction").Add(1, "seconds", FieldType.Int));

    private static readonly Schema Lifecycle = new Schema(Core + "Lifecycle")
        .Add(1, "postStart", FieldType.Message, false, LifecycleHandler).Add(2, "preStop", FieldType.Message, false, LifecycleHandler);

    private static readonly Schema SeLinuxOptions = new Schema(Core + "SELinuxOptions")
        .Add(1, "user", FieldType.String).Add(2, "role", FieldType.String).Add(3, "type", FieldType.String).Add(4, "level", FieldType.String);

    private static readonly Schema WindowsSecurityContextOptions = new Schema(Core + "WindowsSecurityContextOptions")
        .Ptr(1, "gmsaCredentialSpecName", FieldType.String).Ptr(2, "gmsaCredentialSpec", FieldType.String)
        .Ptr(3, "runAsUserName", FieldType.String).Ptr(4, "hostProcess", FieldType.Bool);

    private static readonly Schema SeccompProfile = new Schema(Core + "SeccompProfile")
        .Add(1, "type", FieldType.String).Ptr(2, "localhostProfile", FieldType.String);

    private static readonly Schema AppArmorProfile = new Schema(Core + "AppArmorProfile")
        .Add(1, "type", FieldType.String).Ptr(2, "localhostProfile", FieldType.String);

    private static readonly Schema Capabilities = new Schema(Core + "Capabilities")
        .Add(1, "add", FieldType.String, true).Add(2, "drop", FieldType.String, true);

    private static readonly Schema SecurityContext = new Schema(Core + "SecurityContext")
        .Add(1, "capabilities", FieldType.Message, false, Capabilities).Ptr(2, "privileged", FieldType.Bool)
        .Add(3, "seLinuxOptions", FieldType.Message, false, SeLinuxOptions).Ptr(4, "runAsUser", FieldType.Int).Ptr(5, "runAsNonRoot", FieldType.Bool)
        .Ptr(6, "readOnlyRootFilesystem", FieldType.Bool).Ptr(7, "allowPrivilegeEscalation", FieldType.Bool).Ptr(8, "runAsGroup", FieldType.Int)
        .Ptr(9, "procMount", FieldType.String).Add(10, "windowsOptions", FieldType.Message, false, WindowsSecurityContextOptions)
        .Add(11, "seccompProfile", FieldType.Message, false, SeccompProfile).Add(12, "appArmorProfile", FieldType.Message, false, AppArmorProfile);

    private static readonly Schema PodSecurityContext = new Schema(Core + "PodSecurityContext")
        .Add(1, "seLinuxOptions", FieldType.Message, false, SeLinuxOptions).Ptr(2, "runAsUser", FieldType.Int).Ptr(3, "runAsNonRoot", FieldType.Bool)
        .Add(4, "supplementalGroups", FieldType.Int, true).Ptr(5, "fsGroup", FieldType.Int).Ptr(6, "runAsGroup", FieldType.Int)
        .Add(7, "sysctls", FieldType.Message, true, new Schema(Core + "Sysctl").Add(1, "name", FieldType.String).Add(2, "value", FieldType.String))
        .Add(8, "windowsOptions", FieldType.Message, false, WindowsSecurityContextOptions).Ptr(9, "fsGroupChangePolicy", FieldType.String)
        .Add(10, "seccompProfile", FieldType.Message, false, SeccompProfile).Add(11, "appArmorProfile", FieldType.Message, false, AppArmorProfile)
        .Ptr(12, "supplementalGroupsPolicy", FieldType.String).Ptr(13, "seLinuxChangePolicy", FieldType.String);

    private static readonly Schema Container = ContainerFields(new Schema(Core + "Container"));

    /// <summary>Container's fields; EphemeralContainerCommon has the same numbers.</summary>
    private static Schema ContainerFields(Schema s) => s
        .Add(1, "name", FieldType.String).Add(2, "image", FieldType.String).Add(3, "command", FieldType.String, true)
        .Add(4, "args", FieldType.String, true).Add(5, "workingDir", FieldType.String).Add(6, "ports", FieldType.Message, true, ContainerPort)
        .Add(7, "env", FieldType.Message, true, EnvVar).Add(8, "resources", FieldType.Message, false, ResourceRequirements)
        .Add(9, "volumeMounts", FieldType.Message, true, VolumeMount).Add(10, "livenessProbe", FieldType.Message, false, Probe)
        .Add(11, "readinessProbe", FieldType.Message, false, Probe).Add(12, "lifecycle", FieldType.Message, false, Lifecycle)
        .Add(13, "terminationMessagePath", FieldType.String).Add(14, "imagePullPolicy", FieldType.String)
        .Add(15, "securityContext", FieldType.Message, false, SecurityContext).Add(16, "stdin", FieldType.Bool).Add(17, "stdinOnce", FieldType.Bool)
        .Add(18, "tty", FieldType.Bool).Add(19, "envFrom", FieldType.Message, true, EnvFromSource).Add(20, "terminationMessagePolicy", FieldType.String)
        .Add(21, "volumeDevices", FieldType.Message, true, VolumeDevice).Add(22, "startupProbe", FieldType.Message, false, Probe)
        .Add(23, "resizePolicy", FieldType.Message, true, new Schema(Core + "ContainerResizePolicy")
            .Add(1, "resourceName", FieldType.String).Add(2, "restartPolicy", FieldType.String))
        .Ptr(24, "restartPolicy", FieldType.String);

    private static readonly Schema EphemeralContainer = new Schema(Core + "EphemeralContainer")
        .Embed(1, ContainerFields(new Schema(Core + "EphemeralContainerCommon"))).Add(2, "targetContainerName", FieldType.String);

    private static readonly Schema KeyToPath = new Schema(Core + "KeyToPath")
        .Add(1, "key", FieldType.String).Add(2, "path", FieldType.String).Ptr(3, "mode", FieldType.Int);

    private static readonly Schema DownwardApiVolumeFile = new Schema(Core + "DownwardAPIVolumeFile")
        .Add(1, "path", FieldType.String).Add(2, "fieldRef", FieldType.Message, false, ObjectFieldSelector)
        .Add(3, "resourceFieldRef", FieldType.Message, false, ResourceFieldSelector).Ptr(4, "mode", FieldType.Int);

    private static readonly Schema VolumeResourceRequirements = new Schema(Core + "VolumeResourceRequirements")
        .Add(1, "limits", FieldType.QuantityMap).Add(2, "requests", FieldType.QuantityMap);

    private static readonly Schema PersistentVolumeClaimSpec = new Schema(Core + "PersistentVolumeClaimSpec")
        .Add(1, "accessModes", FieldType.String, true).Add(2, "resources", FieldType.Message, false, VolumeResourceRequirements)
        .Add(3, "volumeName", FieldType.String).Add(4, "selector", FieldType.Message, false, LabelSelector).Ptr(5, "storageClassName", FieldType.String)
        .Ptr(6, "volumeMode", FieldType.String)
        .Add(7, "dataSource", FieldType.Message, false, new Schema(Core + "TypedLocalObjectReference")
            .Ptr(1, "apiGroup", FieldType.String).Add(2, "kind", FieldType.String).Add(3, "name", FieldType.String))
        .Add(8, "dataSourceRef", FieldType.Message, false, new Schema(Core + "TypedObjectReference")
            .Ptr(1, "apiGroup", FieldType.String).Add(2, "kind", FieldType.String).Add(3, "name", FieldType.String).Ptr(4, "namespace", FieldType.String))
        .Ptr(9, "volumeAttributesClassName", FieldType.String);

    private static readonly Schema VolumeProjection = new Schema(Core + "VolumeProjection")
        .Add(1, "secret", FieldType.Message, false, new Schema(Core + "SecretProjection")
            .Embed(1, LocalObjectReference).Add(2, "items", FieldType.Message, true, KeyToPath).Ptr(4, "optional", FieldType.Bool))
        .Add(2, "downwardAPI", FieldType.Message, false, new Schema(Core + "DownwardAPIProjection")
            .Add(1, "items", FieldType.Message, true, DownwardApiVolumeFile))
        .Add(3, "configMap", FieldType.Message, false, new Schema(Core + "ConfigMapProjection")
            .Embed(1, LocalObjectReference).Add(2, "items", FieldType.Message, true, KeyToPath).Ptr(4, "optional", FieldType.Bool))
        .Add(4, "serviceAccountToken", FieldType.Message, false, new Schema(Core + "ServiceAccountTokenProjection")
            .Add(1, "audience", FieldType.String).Ptr(2, "expirationSeconds", FieldType.Int).Add(3, "path", FieldType.String))
        .Add(5, "clusterTrustBundle", FieldType.Message, false, new Schema(Core + "ClusterTrustBundleProjection")
            .Ptr(1, "name", FieldType.String).Ptr(2, "signerName", FieldType.String).Add(3, "labelSelector", FieldType.Message, false, LabelSelector)
            .Ptr(4, "optional", FieldType.Bool).Add(5, "path", FieldType.String));

    /// <summary>The volume sources in use today; the deprecated in-tree cloud and network plugins are not here (their fields are refused).</summary>
    private static readonly Schema VolumeSource = new Schema(Core + "VolumeSource")
        .Add(1, "hostPath", FieldType.Message, false, new Schema(Core + "HostPathVolumeSource").Add(1, "path", FieldType.String).Ptr(2, "type", FieldType.String))
        .Add(2, "emptyDir", FieldType.Message, false, new Schema(Core + "EmptyDirVolumeSource")
            .Add(1, "medium", FieldType.String).Ptr(2, "sizeLimit", FieldType.Quantity))
        .Add(5, "gitRepo", FieldType.Message, false, new Schema(Core + "GitRepoVolumeSource")
            .Add(1, "repository", FieldType.String).Add(2, "revision", FieldType.String).Add(3, "directory", FieldType.String))
        .Add(6, "secret", FieldType.Message, false, new Schema(Core + "SecretVolumeSource")
            .Add(1, "secretName", FieldType.String).Add(2, "items", FieldType.Message, true, KeyToPath).Ptr(3, "defaultMode", FieldType.Int)
            .Ptr(4, "optional", FieldType.Bool))
        .Add(7, "nfs", FieldType.Message, false, new Schema(Core + "NFSVolumeSource")
            .Add(1, "server", FieldType.String).Add(2, "path", FieldType.String).Add(3, "readOnly", FieldType.Bool))
        .Add(10, "persistentVolumeClaim", FieldType.Message, false, new Schema(Core + "PersistentVolumeClaimVolumeSource")
            .Add(1, "claimName", FieldType.String).Add(2, "readOnly", FieldType.Bool))
        .Add(16, "downwardAPI", FieldType.Message, false, new Schema(Core + "DownwardAPIVolumeSource")
            .Add(1, "items", FieldType.Message, true, DownwardApiVolumeFile).Ptr(2, "defaultMode", FieldType.Int))
        .Add(19, "configMap", FieldType.Message, false, new Schema(Core + "ConfigMapVolumeSource")
            .Embed(1, LocalObjectReference).Add(2, "items", FieldType.Message, true, KeyToPath).Ptr(3, "defaultMode", FieldType.Int)
            .Ptr(4, "optional", FieldType.Bool))
        .Add(26, "projected", FieldType.Message, false, new Schema(Core + "ProjectedVolumeSource")
            .Add(1, "sources", FieldType.Message, true, VolumeProjection).Ptr(2, "defaultMode", FieldType.Int))
        .Add(28, "csi", FieldType.Message, false, new Schema(Core + "CSIVolumeSource")
            .Add(1, "driver", FieldType.String).Ptr(2, "readOnly", FieldType.Bool).Ptr(3, "fsType", FieldType.String)
            .Add(4, "volumeAttributes", FieldType.StringMap).Add(5, "nodePublishSecretRef", FieldType.Message, false, LocalObjectReference))
        .Add(29, "ephemeral", FieldType.Message, false, new Schema(Core + "EphemeralVolumeSource")
            .Add(1, "volumeClaimTemplate", FieldType.Message, false, new Schema(Core + "PersistentVolumeClaimTemplate")
                .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, PersistentVolumeClaimSpec)))
        .Add(30, "image", FieldType.Message, false, new Schema(Core + "ImageVolumeSource")
            .Add(1, "reference", FieldType.String).Add(2, "pullPolicy", FieldType.String));

    private static readonly Schema Volume = new Schema(Core + "Volume").Add(1, "name", FieldType.String).Embed(2, VolumeSource);

    private static readonly Schema NodeSelectorRequirement = new Schema(Core + "NodeSelectorRequirement")
        .Add(1, "key", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true);

    private static readonly Schema NodeSelectorTerm = new Schema(Core + "NodeSelectorTerm")
        .Add(1, "matchExpressions", FieldType.Message, true, NodeSelectorRequirement).Add(2, "matchFields", FieldType.Message, true, NodeSelectorRequirement);

    private static readonly Schema NodeSelector = new Schema(Core + "NodeSelector").Add(1, "nodeSelectorTerms", FieldType.Message, true, NodeSelectorTerm);

    private static readonly Schema PodAffinityTerm = new Schema(Core + "PodAffinityTerm")
        .Add(1, "labelSelector", FieldType.Message, false, LabelSelector).Add(2, "namespaces", FieldType.String, true).Add(3, "topologyKey", FieldType.String)
        .Add(4, "namespaceSelector", FieldType.Message, false, LabelSelector).Add(5, "matchLabelKeys", FieldType.String, true)
        .Add(6, "mismatchLabelKeys", FieldType.String, true);

    private static readonly Schema WeightedPodAffinityTerm = new Schema(Core + "WeightedPodAffinityTerm")
        .Add(1, "weight", FieldType.Int).Add(2, "podAffinityTerm", FieldType.Message, false, PodAffinityTerm);

    private static Schema PodAffinityOf(string name) => new Schema(Core + name)
        .Add(1, "requiredDuringSchedulingIgnoredDuringExecution", FieldType.Message, true, PodAffinityTerm)
        .Add(2, "preferredDuringSchedulingIgnoredDuringExecution", FieldType.Message, true, WeightedPodAffinityTerm);

    private static readonly Schema Affinity = new Schema(Core + "Affinity")
        .Add(1, "nodeAffinity", FieldType.Message, false, new Schema(Core + "NodeAffinity")
            .Add(1, "requiredDuringSchedulingIgnoredDuringExecution", FieldType.Message, false, NodeSelector)
            .Add(2, "preferredDuringSchedulingIgnoredDuringExecution", FieldType.Message, true, new Schema(Core + "PreferredSchedulingTerm")
                .Add(1, "weight", FieldType.Int).Add(2, "preference", FieldType.Message, false, NodeSelectorTerm)))
        .Add(2, "podAffinity", FieldType.Message, false, PodAffinityOf("PodAffinity"))
        .Add(3, "podAntiAffinity", FieldType.Message, false, PodAffinityOf("PodAntiAffinity"));

    private static readonly Schema Toleration = new Schema(Core + "Toleration")
        .Add(1, "key", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "value", FieldType.String).Add(4, "effect", FieldType.String)
        .Ptr(5, "tolerationSeconds", FieldType.Int);

    private static readonly Schema TopologySpreadConstraint = new Schema(Core + "TopologySpreadConstraint")
        .Add(1, "maxSkew", FieldType.Int).Add(2, "topologyKey", FieldType.String).Add(3, "whenUnsatisfiable", FieldType.String)
        .Add(4, "labelSelector", FieldType.Message, false, LabelSelector).Ptr(5, "minDomains", FieldType.Int).Ptr(6, "nodeAffinityPolicy", FieldType.String)
        .Ptr(7, "nodeTaintsPolicy", FieldType.String).Add(8, "matchLabelKeys", FieldType.String, true);

    private static readonly Schema PodDnsConfig = new Schema(Core + "PodDNSConfig")
        .Add(1, "nameservers", FieldType.String, true).Add(2, "searches", FieldType.String, true)
        .Add(3, "options", FieldType.Message, true, new Schema(Core + "PodDNSConfigOption").Add(1, "name", FieldType.String).Ptr(2, "value", FieldType.String));

    private static readonly Schema HostAlias = new Schema(Core + "HostAlias")
        .Add(1, "ip", FieldType.String).Add(2, "hostnames", FieldType.String, true);

    private static readonly Schema PodSpec = new Schema(Core + "PodSpec")
        .Add(1, "volumes", FieldType.Message, true, Volume).Add(2, "containers", FieldType.Message, true, Container).Add(3, "restartPolicy", FieldType.String)
        .Ptr(4, "terminationGracePeriodSeconds", FieldType.Int).Ptr(5, "activeDeadlineSeconds", FieldType.Int).Add(6, "dnsPolicy", FieldType.String)
        .Add(7, "nodeSelector", FieldType.StringMap).Add(8, "serviceAccountName", FieldType.String).Add(9, "serviceAccount", FieldType.String)
        .Add(10, "nodeName", FieldType.String).Add(11, "hostNetwork", FieldType.Bool).Add(12, "hostPID", FieldType.Bool).Add(13, "hostIPC", FieldType.Bool)
        .Add(14, "securityContext", FieldType.Message, false, PodSecurityContext)
        .Add(15, "imagePullSecrets", FieldType.Message, true, LocalObjectReference).Add(16, "hostname", FieldType.String)
        .Add(17, "subdomain", FieldType.String).Add(18, "affinity", FieldType.Message, false, Affinity).Add(19, "schedulerName", FieldType.String)
        .Add(20, "initContainers", FieldType.Message, true, Container).Ptr(21, "automountServiceAccountToken", FieldType.Bool)
        .Add(22, "tolerations", FieldType.Message, true, Toleration).Add(23, "hostAliases", FieldType.Message, true, HostAlias)
        .Add(24, "priorityClassName", FieldType.String).Ptr(25, "priority", FieldType.Int).Add(26, "dnsConfig", FieldType.Message, false, PodDnsConfig)
        .Ptr(27, "shareProcessNamespace", FieldType.Bool)
        .Add(28, "readinessGates", FieldType.Message, true, new Schema(Core + "PodReadinessGate").Add(1, "conditionType", FieldType.String))
        .Ptr(29, "runtimeClassName", FieldType.String).Ptr(30, "enableServiceLinks", FieldType.Bool).Ptr(31, "preemptionPolicy", FieldType.String)
        .Add(32, "overhead", FieldType.QuantityMap).Add(33, "topologySpreadConstraints", FieldType.Message, true, TopologySpreadConstraint)
        .Add(34, "ephemeralContainers", FieldType.Message, true, EphemeralContainer).Ptr(35, "setHostnameAsFQDN", FieldType.Bool)
        .Add(36, "os", FieldType.Message, false, new Schema(Core + "PodOS").Add(1, "name", FieldType.String)).Ptr(37, "hostUsers", FieldType.Bool)
        .Add(38, "schedulingGates", FieldType.Message, true, new Schema(Core + "PodSchedulingGate").Add(1, "name", FieldType.String))
        .Add(39, "resourceClaims", FieldType.Message, true, new Schema(Core + "PodResourceClaim")
            .Add(1, "name", FieldType.String).Ptr(3, "resourceClaimName", FieldType.String).Ptr(4, "resourceClaimTemplateName", FieldType.String))
        .Add(40, "resources", FieldType.Message, false, ResourceRequirements);

    private static readonly Schema PodTemplateSpec = new Schema(Core + "PodTemplateSpec")
        .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, PodSpec);

    private static readonly Schema RollingUpdateDeployment = new Schema("k8s.io.api.apps.v1.RollingUpdateDeployment")
        .Ptr(1, "maxUnavailable", FieldType.IntOrString).Ptr(2, "maxSurge", FieldType.IntOrString);

    private static readonly Schema DeploymentStrategy = new Schema("k8s.io.api.apps.v1.DeploymentStrategy")
        .Add(1, "type", FieldType.String).Add(2, "rollingUpdate", FieldType.Message, false, RollingUpdateDeployment);

    private static readonly Schema DeploymentSpec = new Schema("k8s.io.api.apps.v1.DeploymentSpec")
        .Ptr(1, "replicas", FieldType.Int).Add(2, "selector", FieldType.Message, false, LabelSelector)
        .Add(3, "template", FieldType.Message, false, PodTemplateSpec).Add(4, "strategy", FieldType.Message, false, DeploymentStrategy)
        .Add(5, "minReadySeconds", FieldType.Int).Ptr(6, "revisionHistoryLimit", FieldType.Int).Add(7, "paused", FieldType.Bool)
        .Ptr(9, "progressDeadlineSeconds", FieldType.Int);

    /// <summary>A status: the server resets it on create and update, so its contents are not read.</summary>
    private static readonly Schema Empty = new("status") { Discarded = true };

    private static readonly Schema JobSpec = new Schema("k8s.io.api.batch.v1.JobSpec")
        .Ptr(1, "parallelism", FieldType.Int).Ptr(2, "completions", FieldType.Int).Ptr(3, "activeDeadlineSeconds", FieldType.Int)
        .Add(4, "selector", FieldType.Message, false, LabelSelector).Ptr(5, "manualSelector", FieldType.Bool)
        .Add(6, "template", FieldType.Message, false, PodTemplateSpec).Ptr(7, "backoffLimit", FieldType.Int)
        .Ptr(8, "ttlSecondsAfterFinished", FieldType.Int).Ptr(9, "completionMode", FieldType.String).Ptr(10, "suspend", FieldType.Bool)
        .Add(11, "podFailurePolicy", FieldType.Message, false, new Schema("k8s.io.api.batch.v1.PodFailurePolicy")
            .Add(1, "rules", FieldType.Message, true, new Schema("k8s.io.api.batch.v1.PodFailurePolicyRule")
                .Add(1, "action", FieldType.String)
                .Add(2, "onExitCodes", FieldType.Message, false, new Schema("k8s.io.api.batch.v1.PodFailurePolicyOnExitCodesRequirement")
                    .Ptr(1, "containerName", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.Int, true))
                .Add(3, "onPodConditions", FieldType.Message, true, new Schema("k8s.io.api.batch.v1.PodFailurePolicyOnPodConditionsPattern")
                    .Add(1, "type", FieldType.String).Add(2, "status", FieldType.String))))
        .Ptr(12, "backoffLimitPerIndex", FieldType.Int).Ptr(13, "maxFailedIndexes", FieldType.Int).Ptr(14, "podReplacementPolicy", FieldType.String)
        .Ptr(15, "managedBy", FieldType.String)
        .Add(16, "successPolicy", FieldType.Message, false, new Schema("k8s.io.api.batch.v1.SuccessPolicy")
            .Add(1, "rules", FieldType.Message, true, new Schema("k8s.io.api.batch.v1.SuccessPolicyRule")
                .Ptr(1, "succeededIndexes", FieldType.String).Ptr(2, "succeededCount", FieldType.Int)));

    private static readonly Schema JobTemplateSpec = new Schema("k8s.io.api.batch.v1.JobTemplateSpec")
        .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, JobSpec);

    private static readonly Schema CronJobSpec = new Schema("k8s.io.api.batch.v1.CronJobSpec")
        .Add(1, "schedule", FieldType.String).Ptr(2, "startingDeadlineSeconds", FieldType.Int).Add(3, "concurrencyPolicy", FieldType.String)
        .Ptr(4, "suspend", FieldType.Bool).Add(5, "jobTemplate", FieldType.Message, false, JobTemplateSpec)
        .Ptr(6, "successfulJobsHistoryLimit", FieldType.Int).Ptr(7, "failedJobsHistoryLimit", FieldType.Int).Ptr(8, "timeZone", FieldType.String);

    private static readonly Schema ResourceAttributes = new Schema("k8s.io.api.authorization.v1.ResourceAttributes")
        .Add(1, "namespace", FieldType.String).Add(2, "verb", FieldType.String).Add(3, "group", FieldType.String)
        .Add(4, "version", FieldType.String).Add(5, "resource", FieldType.String).Add(6, "subresource", FieldType.String).Add(7, "name", FieldType.String)
        .Add(8, "fieldSelector", FieldType.Message, false, new Schema("k8s.io.api.authorization.v1.FieldSelectorAttributes")
            .Add(1, "rawSelector", FieldType.String).Add(2, "requirements", FieldType.Message, true, new Schema(Meta + "FieldSelectorRequirement")
                .Add(1, "key", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true)))
        .Add(9, "labelSelector", FieldType.Message, false, new Schema("k8s.io.api.authorization.v1.LabelSelectorAttributes")
            .Add(1, "rawSelector", FieldType.String).Add(2, "requirements", FieldType.Message, true, LabelSelectorRequirement));

    private static readonly Schema NonResourceAttributes = new Schema("k8s.io.api.authorization.v1.NonResourceAttributes").Add(1, "path", FieldType.String).Add(2, "verb", FieldType.String);

    // rbac.authorization.k8s.io/v1
    private static readonly Schema PolicyRule = new Schema("k8s.io.api.rbac.v1.PolicyRule")
        .Add(1, "verbs", FieldType.String, true).Add(2, "apiGroups", FieldType.String, true).Add(3, "resources", FieldType.String, true)
        .Add(4, "resourceNames", FieldType.String, true).Add(5, "nonResourceURLs", FieldType.String, true);

    private static readonly Schema Subject = new Schema("k8s.io.api.rbac.v1.Subject")
        .Add(1, "kind", FieldType.String).Add(2, "apiGroup", FieldType.String).Add(3, "name", FieldType.String).Add(4, "namespace", FieldType.String);

    private static readonly Schema RoleRef = new Schema("k8s.io.api.rbac.v1.RoleRef")
        .Add(1, "apiGroup", FieldType.String).Add(2, "kind", FieldType.String).Add(3, "name", FieldType.String);

    private static readonly Schema AggregationRule = new Schema("k8s.io.api.rbac.v1.AggregationRule").Add(1, "clusterRoleSelectors", FieldType.Message, true, LabelSelector);

    private static readonly Schema Binding = new Schema("k8s.io.api.rbac.v1.RoleBinding").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
        .Add(2, "subjects", FieldType.Message, true, Subject).Add(3, "roleRef", FieldType.Message, false, RoleRef);

    // core/v1 ResourceQuota
    private static readonly Schema ScopedResourceSelectorRequirement = new Schema("k8s.io.api.core.v1.ScopedResourceSelectorRequirement")
        .Add(1, "scopeName", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true);

    private static readonly Schema ResourceQuotaSpec = new Schema("k8s.io.api.core.v1.ResourceQuotaSpec")
        .Add(1, "hard", FieldType.QuantityMap).Add(2, "scopes", FieldType.String, true)
        .Add(3, "scopeSelector", FieldType.Message, false, new Schema("k8s.io.api.core.v1.ScopeSelector").Add(1, "matchExpressions", FieldType.Message, true, ScopedResourceSelectorRequirement));

    // core/v1 Service
    private static readonly Schema ServicePort = new Schema("k8s.io.api.core.v1.ServicePort")
        .Add(1, "name", FieldType.String).Add(2, "protocol", FieldType.String).Add(3, "port", FieldType.Int)
        .Add(4, "targetPort", FieldType.IntOrString).Add(5, "nodePort", FieldType.Int).Ptr(6, "appProtocol", FieldType.String);

    private static readonly Schema ServiceSpec = new Schema("k8s.io.api.core.v1.ServiceSpec")
        .Add(1, "ports", FieldType.Message, true, ServicePort).Add(2, "selector", FieldType.StringMap).Add(3, "clusterIP", FieldType.String)
        .Add(4, "type", FieldType.String).Add(5, "externalIPs", FieldType.String, true).Add(7, "sessionAffinity", FieldType.String)
        .Add(8, "loadBalancerIP", FieldType.String).Add(9, "loadBalancerSourceRanges", FieldType.String, true)
        .Add(10, "externalName", FieldType.String).Add(11, "externalTrafficPolicy", FieldType.String).Add(12, "healthCheckNodePort", FieldType.Int)
        .Add(13, "publishNotReadyAddresses", FieldType.Bool).Ptr(17, "ipFamilyPolicy", FieldType.String).Add(18, "clusterIPs", FieldType.String, true)
        .Add(19, "ipFamilies", FieldType.String, true).Ptr(20, "allocateLoadBalancerNodePorts", FieldType.Bool)
        .Ptr(21, "loadBalancerClass", FieldType.String).Ptr(22, "internalTrafficPolicy", FieldType.String);

    // policy/v1
    private static readonly Schema PodDisruptionBudgetSpec = new Schema("k8s.io.api.policy.v1.PodDisruptionBudgetSpec")
        .Ptr(1, "minAvailable", FieldType.IntOrString).Add(2, "selector", FieldType.Message, false, LabelSelector)
        .Ptr(3, "maxUnavailable", FieldType.IntOrString).Ptr(4, "unhealthyPodEvictionPolicy", FieldType.String);

    // networking.k8s.io/v1
    private static readonly Schema IngressBackend = new Schema("k8s.io.api.networking.v1.IngressBackend")
        .Add(3, "resource", FieldType.Message, false, new Schema("k8s.io.api.core.v1.TypedLocalObjectReference")
            .Ptr(1, "apiGroup", FieldType.String).Add(2, "kind", FieldType.String).Add(3, "name", FieldType.String))
        .Add(4, "service", FieldType.Message, false, new Schema("k8s.io.api.networking.v1.IngressServiceBackend")
            .Add(1, "name", FieldType.String)
            .Add(2, "port", FieldType.Message, false, new Schema("k8s.io.api.networking.v1.ServiceBackendPort").Add(1, "name", FieldType.String).Add(2, "number", FieldType.Int)));

    private static readonly Schema HttpIngressPath = new Schema("k8s.io.api.networking.v1.HTTPIngressPath")
        .Add(1, "path", FieldType.String).Add(2, "backend", FieldType.Message, false, IngressBackend).Ptr(3, "pathType", FieldType.String);

    private static readonly Schema IngressRule = new Schema("k8s.io.api.networking.v1.IngressRule")
        .Add(1, "host", FieldType.String)
        .Embed(2, new Schema("k8s.io.api.networking.v1.IngressRuleValue").Add(1, "http", FieldType.Message, false, new Schema("k8s.io.api.networking.v1.HTTPIngressRuleValue").Add(1, "paths", FieldType.Message, true, HttpIngressPath)));

    private static readonly Schema IngressSpec = new Schema("k8s.io.api.networking.v1.IngressSpec")
        .Add(1, "defaultBackend", FieldType.Message, false, IngressBackend)
        .Add(2, "tls", FieldType.Message, true, new Schema("k8s.io.api.networking.v1.IngressTLS").Add(1, "hosts", FieldType.String, true).Add(2, "secretName", FieldType.String))
        .Add(3, "rules", FieldType.Message, true, IngressRule).Ptr(4, "ingressClassName", FieldType.String);

    // autoscaling/v1 and autoscaling/v2 (kubectl 1.32's autoscale sends autoscaling/v1)
    private static Schema CrossVersionObjectReference(string pkg) => new Schema(pkg + "CrossVersionObjectReference")
        .Add(1, "kind", FieldType.String).Add(2, "name", FieldType.String).Add(3, "apiVersion", FieldType.String);

    private static readonly Schema HpaV1Spec = new Schema("k8s.io.api.autoscaling.v1.HorizontalPodAutoscalerSpec")
        .Add(1, "scaleTargetRef", FieldType.Message, false, CrossVersionObjectReference("k8s.io.api.autoscaling.v1."))
        .Ptr(2, "minReplicas", FieldType.Int).Add(3, "maxReplicas", FieldType.Int).Ptr(4, "targetCPUUtilizationPercentage", FieldType.Int);

    private const string HpaV2 = "k8s.io.api.autoscaling.v2.";

    private static readonly Schema HpaV2Target = new Schema(HpaV2 + "MetricTarget")
        .Add(1, "type", FieldType.String).Add(2, "value", FieldType.Quantity).Add(3, "averageValue", FieldType.Quantity)
        .Ptr(4, "averageUtilization", FieldType.Int);

    private static readonly Schema HpaV2MetricIdentifier = new Schema(HpaV2 + "MetricIdentifier")
        .Add(1, "name", FieldType.String).Add(2, "selector", FieldType.Message, false, LabelSelector);

    private static readonly Schema HpaV2MetricSpec = new Schema(HpaV2 + "MetricSpec")
        .Add(1, "type", FieldType.String)
        .Add(2, "object", FieldType.Message, false, new Schema(HpaV2 + "ObjectMetricSource")
            .Add(1, "describedObject", FieldType.Message, false, CrossVersionObjectReference(HpaV2))
            .Add(2, "target", FieldType.Message, false, HpaV2Target).Add(3, "metric", FieldType.Message, false, HpaV2MetricIdentifier))
        .Add(3, "pods", FieldType.Message, false, new Schema(HpaV2 + "PodsMetricSource")
            .Add(1, "metric", FieldType.Message, false, HpaV2MetricIdentifier).Add(2, "target", FieldType.Message, false, HpaV2Target))
        .Add(4, "resource", FieldType.Message, false, new Schema(HpaV2 + "ResourceMetricSource")
            .Add(1, "name", FieldType.String).Add(2, "target", FieldType.Message, false, HpaV2Target))
        .Add(5, "external", FieldType.Message, false, new Schema(HpaV2 + "ExternalMetricSource")
            .Add(1, "metric", FieldType.Message, false, HpaV2MetricIdentifier).Add(2, "target", FieldType.Message, false, HpaV2Target))
        .Add(7, "containerResource", FieldType.Message, false, new Schema(HpaV2 + "ContainerResourceMetricSource")
            .Add(1, "name", FieldType.String).Add(2, "target", FieldType.Message, false, HpaV2Target).Add(3, "container", FieldType.String));

    private static readonly Schema HpaV2ScalingRules = new Schema(HpaV2 + "HPAScalingRules")
        .Ptr(1, "selectPolicy", FieldType.String)
        .Add(2, "policies", FieldType.Message, true, new Schema(HpaV2 + "HPAScalingPolicy")
            .Add(1, "type", FieldType.String).Add(2, "value", FieldType.Int).Add(3, "periodSeconds", FieldType.Int))
        .Ptr(3, "stabilizationWindowSeconds", FieldType.Int).Ptr(4, "tolerance", FieldType.Quantity);

    private static readonly Schema HpaV2Spec = new Schema(HpaV2 + "HorizontalPodAutoscalerSpec")
        .Add(1, "scaleTargetRef", FieldType.Message, false, CrossVersionObjectReference(HpaV2))
        .Ptr(2, "minReplicas", FieldType.Int).Add(3, "maxReplicas", FieldType.Int)
        .Add(4, "metrics", FieldType.Message, true, HpaV2MetricSpec)
        .Add(5, "behavior", FieldType.Message, false, new Schema(HpaV2 + "HorizontalPodAutoscalerBehavior")
            .Add(1, "scaleUp", FieldType.Message, false, HpaV2ScalingRules).Add(2, "scaleDown", FieldType.Message, false, HpaV2ScalingRules));

    public static readonly Dictionary<(string ApiVersion, string Kind), Schema> Kinds = new()
    {
        [("rbac.authorization.k8s.io/v1", "Role")] = new Schema("k8s.io.api.rbac.v1.Role").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "rules", FieldType.Message, true, PolicyRule),
        [("rbac.authorization.k8s.io/v1", "ClusterRole")] = new Schema("k8s.io.api.rbac.v1.ClusterRole").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "rules", FieldType.Message, true, PolicyRule).Add(3, "aggregationRule", FieldType.Message, false, AggregationRule),
        [("rbac.authorization.k8s.io/v1", "RoleBinding")] = Binding,
        [("rbac.authorization.k8s.io/v1", "ClusterRoleBinding")] = Binding,
        [("v1", "ResourceQuota")] = new Schema("k8s.io.api.core.v1.ResourceQuota").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, ResourceQuotaSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("v1", "Service")] = new Schema("k8s.io.api.core.v1.Service").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, ServiceSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("scheduling.k8s.io/v1", "PriorityClass")] = new Schema("k8s.io.api.scheduling.v1.PriorityClass").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Ptr(2, "value", FieldType.Int).Add(3, "globalDefault", FieldType.Bool).Add(4, "description", FieldType.String)
            .Ptr(5, "preemptionPolicy", FieldType.String),
        [("policy/v1", "PodDisruptionBudget")] = new Schema("k8s.io.api.policy.v1.PodDisruptionBudget").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, PodDisruptionBudgetSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("networking.k8s.io/v1", "Ingress")] = new Schema("k8s.io.api.networking.v1.Ingress").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, IngressSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("authorization.k8s.io/v1", "SelfSubjectAccessReview")] = new Schema("k8s.io.api.authorization.v1.SelfSubjectAccessReview").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema("k8s.io.api.authorization.v1.SelfSubjectAccessReviewSpec")
                .Add(1, "resourceAttributes", FieldType.Message, false, ResourceAttributes)
                .Add(2, "nonResourceAttributes", FieldType.Message, false, NonResourceAttributes))
            .Add(3, "status", FieldType.Message, false, Empty),
        [("authentication.k8s.io/v1", "SelfSubjectReview")] = new Schema("k8s.io.api.authentication.v1.SelfSubjectReview").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "status", FieldType.Message, false, Empty),
        [("authentication.k8s.io/v1", "TokenRequest")] = new Schema("k8s.io.api.authentication.v1.TokenRequest").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema("k8s.io.api.authentication.v1.TokenRequestSpec")
                .Add(1, "audiences", FieldType.String, true)
                .Add(3, "boundObjectRef", FieldType.Message, false, new Schema("k8s.io.api.authentication.v1.BoundObjectReference")
                    .Add(1, "kind", FieldType.String).Add(2, "apiVersion", FieldType.String).Add(3, "name", FieldType.String).Add(4, "uid", FieldType.String))
                .Ptr(4, "expirationSeconds", FieldType.Int))
            .Add(3, "status", FieldType.Message, false, Empty),
        [("v1", "Namespace")] = new Schema("k8s.io.api.core.v1.Namespace").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema("k8s.io.api.core.v1.NamespaceSpec").Add(1, "finalizers", FieldType.String, true))
            .Add(3, "status", FieldType.Message, false, Empty),
        [("v1", "ConfigMap")] = new Schema("k8s.io.api.core.v1.ConfigMap").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "data", FieldType.StringMap).Add(3, "binaryData", FieldType.BytesMap).Ptr(4, "immutable", FieldType.Bool),
        [("v1", "Secret")] = new Schema("k8s.io.api.core.v1.Secret").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "data", FieldType.BytesMap).Add(3, "type", FieldType.String).Add(4, "stringData", FieldType.StringMap).Ptr(5, "immutable", FieldType.Bool),
        [("v1", "ServiceAccount")] = new Schema("k8s.io.api.core.v1.ServiceAccount").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(3, "imagePullSecrets", FieldType.Message, true, LocalObjectReference).Ptr(4, "automountServiceAccountToken", FieldType.Bool),
        [("batch/v1", "Job")] = new Schema("k8s.io.api.batch.v1.Job").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, JobSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("batch/v1", "CronJob")] = new Schema("k8s.io.api.batch.v1.CronJob").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, CronJobSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("apps/v1", "Deployment")] = new Schema("k8s.io.api.apps.v1.Deployment").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, DeploymentSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("autoscaling/v1", "HorizontalPodAutoscaler")] = new Schema("k8s.io.api.autoscaling.v1.HorizontalPodAutoscaler").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, HpaV1Spec).Add(3, "status", FieldType.Message, false, Empty),
        [("autoscaling/v2", "HorizontalPodAutoscaler")] = new Schema(HpaV2 + "HorizontalPodAutoscaler").Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, HpaV2Spec).Add(3, "status", FieldType.Message, false, Empty),
    };
}
