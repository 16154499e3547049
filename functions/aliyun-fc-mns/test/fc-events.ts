/**
 * The MNS queue trigger's event as the Function Compute documentation shows it (EventBridge
 * CloudEvent, "mns:Queue:SendMessage"), for a queue of `accountId` in cn-hangzhou.
 */
export function queueTriggerEvent(accountId: string, queue: string, messageBody: string, n: number) {
  return {
    id: `c2g71017-6f65-fhcf-a814-a396fc8d${String(n).padStart(4, "0")}`,
    source: "MNS-Function-mnstrigger",
    specversion: "1.0",
    type: "mns:Queue:SendMessage",
    datacontenttype: "application/json; charset=utf-8",
    subject: `acs:mns:cn-hangzhou:${accountId}:queues/${queue}`,
    time: "2021-04-08T06:28:17.093Z",
    aliyunaccountid: accountId,
    aliyunpublishtime: "2021-04-08T06:28:17.138Z",
    aliyunoriginalaccountid: accountId,
    aliyuneventbusname: "MNS-Function-mnstrigger",
    aliyunregionid: "cn-hangzhou",
    aliyunpublishaddr: "42.120.XX.XX",
    data: {
      requestId: `606EA3074344430D4C81${String(n).padStart(4, "0")}`,
      messageId: `C6DB60D1574661357FA227277445${String(n).padStart(4, "0")}`,
      messageBody,
    },
  };
}

/** The MNS topic trigger's JSON-format event as the Function Compute documentation shows it. */
export const documentedTopicEvent = {
  TopicOwner: "1186202104331798",
  Message: "mytest",
  Subscriber: "1186202104331798",
  PublishTime: 1550216302888,
  SubscriptionName: "test-fc-subscibe",
  MessageMD5: "BA4BA9B48AC81F0F9C66F6C909C39DBB",
  TopicName: "test-topic",
  MessageId: "2F5B3C082B923D4EAC696B7A6B4A1A5A",
};

/** FC 3.0's context for a function with a role: its temporary credentials, region and account. */
export function fcContext(accountId: string, credentials: { accessKeyId: string; accessKeySecret: string }) {
  return {
    requestId: "b1c5100f-819d-c421-3a5e-7782a27d8a33",
    credentials: { ...credentials, securityToken: "" },
    function: { name: "orders", handler: "index.handler", memory: 512, timeout: 30 },
    service: { name: "mailroom", logProject: "", logStore: "" },
    region: "cn-hangzhou",
    accountId,
  };
}
