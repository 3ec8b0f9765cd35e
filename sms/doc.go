// Package sms reads what an SMS gateway posts when a customer texts back:
// the STOP / START / HELP keywords, the gateway's request signature
// (Twilio's X-Twilio-Signature scheme), and the XML reply (TwiML).
package sms
