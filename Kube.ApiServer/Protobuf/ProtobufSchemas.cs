namespace Kube.ApiServer.Protobuf;

/// <summary>
/// Field numbers of the k8s.io/api protobuf messages kubectl's typed create commands send (generated.proto):
/// ObjectMeta, Namespace, ConfigMap, Secret, and a Deployment with its pod template's common fields.
/// </summary>
internal static class ProtobufSchemas
{
    public enum FieldType { String, Bytes, Int, Bool, Message, StringMap, BytesMap, IntOrString }

    /// <summary>
    /// A message field. <paramref name="Pointer"/> marks Go pointer fields (<c>*int32</c>, <c>*bool</c>, <c>*string</c>): Go's
    /// protobuf marshalling writes a non-pointer scalar even when it is the zero value, which JSON would omit, so a
    /// zero non-pointer scalar decodes as absent (and is then defaulted, as upstream does).
    /// </summary>
    public sealed record Field(string Name, FieldType Type, bool Repeated = false, Schema? Message = null, bool Pointer = false);

    public sealed class Schema
    {
        public Dictionary<int, Field> Fields { get; } = [];

        public Schema Add(int number, string name, FieldType type, bool repeated = false, Schema? message = null)
        {
            Fields[number] = new Field(name, type, repeated, message);
            return this;
        }

        /// <summary>Adds a Go pointer field: its zero value is kept.</summary>
        public Schema Ptr(int number, string name, FieldType type)
        {
            Fields[number] = new Field(name, type, Pointer: true);
            return this;
        }
    }

    private static readonly Schema OwnerReference = new Schema()
        .Add(5, "apiVersion", FieldType.String).Add(1, "kind", FieldType.String).Add(3, "name", FieldType.String)
        .Add(4, "uid", FieldType.String).Ptr(6, "controller", FieldType.Bool).Ptr(7, "blockOwnerDeletion", FieldType.Bool);

    private static readonly Schema ObjectMeta = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "generateName", FieldType.String).Add(3, "namespace", FieldType.String)
        .Add(11, "labels", FieldType.StringMap).Add(12, "annotations", FieldType.StringMap)
        .Add(13, "ownerReferences", FieldType.Message, true, OwnerReference).Add(14, "finalizers", FieldType.String, true);

    private static readonly Schema LabelSelectorRequirement = new Schema()
        .Add(1, "key", FieldType.String).Add(2, "operator", FieldType.String).Add(3, "values", FieldType.String, true);

    private static readonly Schema LabelSelector = new Schema()
        .Add(1, "matchLabels", FieldType.StringMap).Add(2, "matchExpressions", FieldType.Message, true, LabelSelectorRequirement);

    private static readonly Schema ContainerPort = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "hostPort", FieldType.Int).Add(3, "containerPort", FieldType.Int)
        .Add(4, "protocol", FieldType.String).Add(5, "hostIP", FieldType.String);

    private static readonly Schema EnvVar = new Schema().Add(1, "name", FieldType.String).Add(2, "value", FieldType.String);

    private static readonly Schema ResourceRequirements = new Schema();

    private static readonly Schema Container = new Schema()
        .Add(1, "name", FieldType.String).Add(2, "image", FieldType.String).Add(3, "command", FieldType.String, true)
        .Add(4, "args", FieldType.String, true).Add(5, "workingDir", FieldType.String).Add(6, "ports", FieldType.Message, true, ContainerPort)
        .Add(7, "env", FieldType.Message, true, EnvVar).Add(8, "resources", FieldType.Message, false, ResourceRequirements)
        .Add(13, "terminationMessagePath", FieldType.String).Add(14, "imagePullPolicy", FieldType.String);

    private static readonly Schema PodSpec = new Schema()
        .Add(2, "containers", FieldType.Message, true, Container).Add(3, "restartPolicy", FieldType.String)
        .Ptr(4, "terminationGracePeriodSeconds", FieldType.Int).Add(6, "dnsPolicy", FieldType.String)
        .Add(7, "nodeSelector", FieldType.StringMap).Add(8, "serviceAccountName", FieldType.String).Add(10, "nodeName", FieldType.String)
        .Add(20, "initContainers", FieldType.Message, true, Container).Add(19, "schedulerName", FieldType.String);

    private static readonly Schema PodTemplateSpec = new Schema()
        .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, PodSpec);

    private static readonly Schema RollingUpdateDeployment = new Schema()
        .Add(1, "maxUnavailable", FieldType.IntOrString).Add(2, "maxSurge", FieldType.IntOrString);

    private static readonly Schema DeploymentStrategy = new Schema()
        .Add(1, "type", FieldType.String).Add(2, "rollingUpdate", FieldType.Message, false, RollingUpdateDeployment);

    private static readonly Schema DeploymentSpec = new Schema()
        .Ptr(1, "replicas", FieldType.Int).Add(2, "selector", FieldType.Message, false, LabelSelector)
        .Add(3, "template", FieldType.Message, false, PodTemplateSpec).Add(4, "strategy", FieldType.Message, false, DeploymentStrategy)
        .Add(5, "minReadySeconds", FieldType.Int).Ptr(6, "revisionHistoryLimit", FieldType.Int).Add(7, "paused", FieldType.Bool)
        .Ptr(9, "progressDeadlineSeconds", FieldType.Int);

    private static readonly Schema Empty = new();

    private static readonly Schema JobSpec = new Schema()
        .Ptr(1, "parallelism", FieldType.Int).Ptr(2, "completions", FieldType.Int).Ptr(3, "activeDeadlineSeconds", FieldType.Int)
        .Add(4, "selector", FieldType.Message, false, LabelSelector).Ptr(5, "manualSelector", FieldType.Bool)
        .Add(6, "template", FieldType.Message, false, PodTemplateSpec).Ptr(7, "backoffLimit", FieldType.Int)
        .Ptr(8, "ttlSecondsAfterFinished", FieldType.Int).Ptr(9, "completionMode", FieldType.String).Ptr(10, "suspend", FieldType.Bool);

    private static readonly Schema JobTemplateSpec = new Schema()
        .Add(1, "metadata", FieldType.Message, false, ObjectMeta).Add(2, "spec", FieldType.Message, false, JobSpec);

    private static readonly Schema CronJobSpec = new Schema()
        .Add(1, "schedule", FieldType.String).Ptr(2, "startingDeadlineSeconds", FieldType.Int).Add(3, "concurrencyPolicy", FieldType.String)
        .Ptr(4, "suspend", FieldType.Bool).Add(5, "jobTemplate", FieldType.Message, false, JobTemplateSpec)
        .Ptr(6, "successfulJobsHistoryLimit", FieldType.Int).Ptr(7, "failedJobsHistoryLimit", FieldType.Int).Ptr(8, "timeZone", FieldType.String);

    private static readonly Schema ResourceAttributes = new Schema()
        .Add(1, "namespace", FieldType.String).Add(2, "verb", FieldType.String).Add(3, "group", FieldType.String)
        .Add(4, "version", FieldType.String).Add(5, "resource", FieldType.String).Add(6, "subresource", FieldType.String).Add(7, "name", FieldType.String);

    private static readonly Schema NonResourceAttributes = new Schema().Add(1, "path", FieldType.String).Add(2, "verb", FieldType.String);

    public static readonly Dictionary<(string ApiVersion, string Kind), Schema> Kinds = new()
    {
        [("authorization.k8s.io/v1", "SelfSubjectAccessReview")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema()
                .Add(1, "resourceAttributes", FieldType.Message, false, ResourceAttributes)
                .Add(2, "nonResourceAttributes", FieldType.Message, false, NonResourceAttributes)),
        [("authentication.k8s.io/v1", "SelfSubjectReview")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta),
        [("authentication.k8s.io/v1", "TokenRequest")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema()
                .Add(1, "audiences", FieldType.String, true)
                .Add(3, "boundObjectRef", FieldType.Message, false, new Schema()
                    .Add(1, "kind", FieldType.String).Add(2, "apiVersion", FieldType.String).Add(3, "name", FieldType.String).Add(4, "uid", FieldType.String))
                .Ptr(4, "expirationSeconds", FieldType.Int)),
        [("v1", "Namespace")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, new Schema().Add(1, "finalizers", FieldType.String, true)),
        [("v1", "ConfigMap")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "data", FieldType.StringMap).Add(3, "binaryData", FieldType.BytesMap).Ptr(4, "immutable", FieldType.Bool),
        [("v1", "Secret")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "data", FieldType.BytesMap).Add(3, "type", FieldType.String).Add(4, "stringData", FieldType.StringMap).Ptr(5, "immutable", FieldType.Bool),
        [("v1", "ServiceAccount")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Ptr(4, "automountServiceAccountToken", FieldType.Bool),
        [("batch/v1", "Job")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, JobSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("batch/v1", "CronJob")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, CronJobSpec).Add(3, "status", FieldType.Message, false, Empty),
        [("apps/v1", "Deployment")] = new Schema().Add(1, "metadata", FieldType.Message, false, ObjectMeta)
            .Add(2, "spec", FieldType.Message, false, DeploymentSpec).Add(3, "status", FieldType.Message, false, Empty),
    };
}
